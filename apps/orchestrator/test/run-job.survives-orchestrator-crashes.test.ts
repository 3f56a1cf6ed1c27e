import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState, VmState, WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runJobSteps } from '../src/names.ts';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string } }>('run-job survives orchestrator crashes (real processes, SIGKILL)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 4, leaseMs: 1500 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'make.sh': 'mkdir -p out && echo built > out/result.txt\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const waitForEnd = (mesh: TestMesh, requestId: string) => waitForJobEnd((r) => mesh.api.jobs.getJob(r), requestId);

/** Every VM the persistence recorded for a job. */
const vmsOf = async (mesh: TestMesh, jobRequestId: string) =>
  (await mesh.store.vms.listVms({ states: [], jobRequestId, host: '', pageSize: 100, pageToken: '' })).vms;

// The steps only a pipeline's job takes (group, needs; a job with needs checks out in a step of its own)
// are killed in pipelines.survive-orchestrator-crashes.test.ts.
const pipelineOnly = new Set<string>([runJobSteps.acquireGroup, runJobSteps.prepareWorkspace, runJobSteps.fetchNeeds, runJobSteps.releaseGroup]);
for (const step of Object.values(runJobSteps).filter((name) => !pipelineOnly.has(name))) {
  test(`SIGKILL during ${step} (after its work, before its checkpoint): the job still ends right, with one VM, nothing left behind`, async ({ mesh, repo }) => {
    await mesh.kill('orchestrator');
    await mesh.restart('orchestrator', { JOBMESH_FAULT_CRASH_AT: `before-checkpoint:${step}` });
    const { job } = await mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'echo start; sh make.sh; echo done', env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: ['out/**'], artifactWhen: 0, requestId: '' });
    const code = await withDeadline(mesh.exited('orchestrator'), 60_000, `orchestrator crashes at ${step}`);
    assert.is(code, null, 'killed by a signal');
    assert.match(mesh.output('orchestrator'), /crash drill: killing this process/);
    await mesh.restart('orchestrator');
    const done = await waitForEnd(mesh, job!.requestId);
    assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, `${step}: ${done.error}`);
    assert.is(done.exitCode, 0);
    const vms = await vmsOf(mesh, job!.requestId);
    assert.is(vms.length, 1, 'exactly one VM prepared for the job');
    await withDeadline((async () => {
      while ((await vmsOf(mesh, job!.requestId))[0]!.state !== VmState.VM_STATE_DESTROYED) await new Promise((r) => setTimeout(r, 100));
    })(), 10_000, 'VM recorded destroyed');
    const workspaces = existsSync(join(mesh.dataDir, 'workspaces')) ? await readdir(join(mesh.dataDir, 'workspaces')) : [];
    assert.not.ok(workspaces.some((name) => name.includes(job!.requestId)), 'workspace removed');
    const log: string[] = [];
    for await (const chunk of mesh.api.jobs.streamJobLogs({ requestId: job!.requestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
    assert.match(log.join(''), /done/);
  });
}

test('two orchestrator replicas share one workload: every job runs exactly once, and both replicas ran some', async ({ mesh, repo }) => {
  const second = await mesh.addOrchestrator();
  // Clients reach the replicas through a balancer: half the jobs are submitted to each. Submitted
  // to one replica only, that replica (woken by its own SubmitJob) claims them all before the
  // other polls, and the test would prove nothing about sharing.
  const secondApi = createClient(JobServiceService, `127.0.0.1:${await second.serving}`);
  const replicaPids = [mesh.pid('orchestrator')!, second.child.pid!];
  const markers = join(mesh.dataDir, 'markers');
  const ids: string[] = [];
  // Who ran what: the lease owner (orchestrator@<host>:<pid>) of each RUNNING workflow, sampled
  // while the jobs run (the lease is cleared when a workflow ends; each job sleeps 1 s to be seen).
  const ranBy = new Map<string, Set<number>>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { workflows } = await mesh.store.workflows.listWorkflows({ statuses: [WorkflowStatus.WORKFLOW_STATUS_RUNNING], name: '', parentId: '', pageSize: 500, pageToken: '' });
      for (const w of workflows.filter((w) => ids.includes(w.id) && w.leaseOwner)) {
        ranBy.set(w.id, (ranBy.get(w.id) ?? new Set()).add(Number(/:(\d+)$/.exec(w.leaseOwner)?.[1])));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    for (let i = 0; i < 12; i++) {
      const api = i % 2 ? secondApi : mesh.api.jobs;
      const { job } = await api.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: `mkdir -p ${markers}; echo run >> ${markers}/job-${i}; sleep 1`, env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
      ids.push(job!.requestId);
    }
    const done = await Promise.all(ids.map((id) => waitForEnd(mesh, id)));
    assert.ok(done.every((j) => j.state === JobState.JOB_STATE_SUCCEEDED));
  } finally {
    sampling = false;
    await sampler;
    secondApi.close();
  }
  for (let i = 0; i < 12; i++) assert.is((await readFile(join(markers, `job-${i}`), 'utf8')).trim().split('\n').length, 1, `job ${i} ran once`);
  const runners = new Set([...ranBy.values()].flatMap((pids) => [...pids]));
  assert.equal([...runners].sort(), [...replicaPids].sort(), `lease owners seen: ${JSON.stringify([...ranBy].map(([id, pids]) => [id, [...pids]]))}`);
  assert.ok(second.child.exitCode === null, 'the second replica still runs');
});

test.run();
