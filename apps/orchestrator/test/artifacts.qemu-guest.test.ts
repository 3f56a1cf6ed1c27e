import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadArtifact, makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('artifacts come back from inside a qemu guest, over the guest agent (public API)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({
    localSlots: 1,
    labels: [{ name: 'guest', backend: 'qemu', image: { testImage: true }, memoryMb: 256, cpus: 1, slots: 1 }],
    env: { JOBMESH_VMRUNNER_ACCEL: 'tcg' },
  }), 300_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'input.txt': 'from the checkout\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

test('a guest job writes out/a.txt, out/sub/b.bin (1 MiB random) and a file outside out/: exactly the two come back', async (ctx) => {
  const script = [
    'mkdir -p out/sub',
    'cp input.txt out/a.txt',
    'head -c 1048576 /dev/urandom > out/sub/b.bin',
    'echo outside > other.txt',
    'sha256sum out/a.txt out/sub/b.bin',
    'exit 1',
  ].join('\n');
  const { job } = await ctx.mesh.api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'guest', script, env: {}, secretEnv: {}, timeoutMs: 240_000, artifactPatterns: ['out/**'], artifactWhen: 3 /* ALWAYS */, requestId: '' });
  const done = await waitForJobEnd(ctx.mesh.api.jobs.getJob, job!.requestId, 400_000);
  assert.is(done.state, JobState.JOB_STATE_FAILED, done.error);
  assert.is(done.exitCode, 1, done.error);
  const log: string[] = [];
  for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId: done.requestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
  const printed = Object.fromEntries([...log.join('').matchAll(/^([0-9a-f]{64})  (\S+)$/gm)].map((m) => [m[2]!, m[1]!]));
  const list = await ctx.mesh.api.artifacts.listArtifacts({ requestId: done.requestId, pageSize: 0, pageToken: '' });
  assert.equal(list.artifacts.map((a) => a.path), ['out/a.txt', 'out/sub/b.bin']);
  assert.equal(Object.fromEntries(list.artifacts.map((a) => [a.path, a.sha256])), printed);
  for (const artifact of list.artifacts) {
    const { data } = await downloadArtifact(ctx.mesh.api.artifacts, done.requestId, artifact.path);
    assert.is(createHash('sha256').update(data).digest('hex'), printed[artifact.path]);
  }
  assert.is((await downloadArtifact(ctx.mesh.api.artifacts, done.requestId, 'out/a.txt')).data.toString(), 'from the checkout\n');
  const { vms } = await ctx.mesh.api.vms.listVms({ states: [], jobRequestId: done.requestId, pageSize: 0, pageToken: '' });
  assert.ok(vms.length === 1 && vms[0]!.state === 8, 'the VM is destroyed');
  // Its console outlives it, through the public API and the CLI.
  const console = await ctx.mesh.api.vms.getVmConsole({ vmId: vms[0]!.id, maxBytes: 0 });
  assert.ok(console.host !== '' && console.vmId === vms[0]!.id);
  const printed2 = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url)), 'vms', '--console', vms[0]!.id], { env: { ...process.env, JOBMESH_ADDR: ctx.mesh.address.orchestrator } });
  assert.is(printed2.stdout.trimEnd(), console.text.trimEnd());
  assert.equal(await readdir(join(ctx.mesh.dataDir, 'staging', 'outputs')).catch(() => []), [], 'nothing left in staging');
});

test.run();
