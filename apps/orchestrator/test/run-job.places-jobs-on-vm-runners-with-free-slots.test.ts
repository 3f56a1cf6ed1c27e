import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

const vmRunnerMain = fileURLToPath(new URL('../../vm-runner/src/main.ts', import.meta.url));
const test = suite<{ mesh: TestMesh; second: ServiceProcess; repo: { url: string; commit: string } }>('placement across several vm-runners');

test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 1 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'a.txt': 'a\n' });
  // A second vm-runner with the same one-slot catalog, its own state and host name.
  ctx.second = spawnService('vm-runner', vmRunnerMain, {
    JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', JOBMESH_PERSISTENCE_ADDR: ctx.mesh.address.persistence,
    JOBMESH_VMRUNNER_CATALOG: join(ctx.mesh.dataDir, 'catalog.json'), JOBMESH_VMRUNNER_STATE_DIR: join(ctx.mesh.dataDir, 'vm-runner-b'),
    JOBMESH_VMRUNNER_HOST: 'runner-b', JOBMESH_DATA_DIR: ctx.mesh.dataDir,
    // The same roots as the mesh's own vm-runner: fsops' checkouts, and its staging folder for outputs.
    JOBMESH_VMRUNNER_WORKSPACE_ROOT: join(ctx.mesh.dataDir, 'workspaces'), JOBMESH_VMRUNNER_OUTPUT_ROOT: join(ctx.mesh.dataDir, 'staging', 'outputs'),
  });
  const port = await withDeadline(ctx.second.serving, 60_000, 'second vm-runner');
  await ctx.mesh.kill('orchestrator');
  await ctx.mesh.restart('orchestrator', { JOBMESH_VMRUNNER_ADDR: `${ctx.mesh.address['vm-runner']},127.0.0.1:${port}` });
});
test.after(async (ctx) => {
  ctx.second?.child.kill('SIGTERM');
  await ctx.second?.exited;
  await ctx.mesh?.stop();
});

test('two jobs on a label with one slot per vm-runner run at once, one on each vm-runner', async ({ mesh, repo }) => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { job } = await mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'sleep 10; echo placed', env: {}, secretEnv: {}, timeoutMs: 60_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
    ids.push(job!.requestId);
  }
  // Both must be running at the same time: only possible with a slot on each vm-runner (each
  // sleeps 10 s, so a loaded CI host that is slow to start the second still sees them overlap).
  await withDeadline((async () => {
    for (;;) {
      const states = await Promise.all(ids.map(async (requestId) => (await mesh.api.jobs.getJob({ requestId })).job!.state));
      if (states.every((s) => s === JobState.JOB_STATE_RUNNING)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(), 60_000, 'both running at once');
  const hosts = await Promise.all(ids.map(async (jobRequestId) => (await mesh.store.vms.listVms({ states: [], jobRequestId, host: '', pageSize: 0, pageToken: '' })).vms[0]!.host));
  assert.is(new Set(hosts).size, 2, `placed on two hosts: ${hosts.join(', ')}`);
  assert.ok(hosts.includes('runner-b'));
  for (const requestId of ids) {
    await withDeadline((async () => {
      while ((await mesh.api.jobs.getJob({ requestId })).job!.state !== JobState.JOB_STATE_SUCCEEDED) await new Promise((r) => setTimeout(r, 100));
    })(), 60_000, 'succeeded');
  }
});

test.run();
