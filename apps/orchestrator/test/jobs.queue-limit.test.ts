import { randomUUID } from 'node:crypto';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status, type MeshError } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string } }>('SubmitJob queue limit (JOBMESH_MAX_QUEUED_JOBS)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 1, env: { JOBMESH_MAX_QUEUED_JOBS: '3' } }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'README': 'queue\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst past the limit: exactly the free places are taken, the rest get RESOURCE_EXHAUSTED QUEUE_FULL with a retry hint; a retried stored job still succeeds', async ({ mesh, repo }) => {
  const submit = (requestId: string) => mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'sleep 30', timeoutMs: 120_000 }));
  const ids = Array.from({ length: 9 }, () => randomUUID());
  await withDeadline(submit(ids[0]!), 10_000, 'first job');
  // The first job takes the one slot; the queue is empty again.
  await withDeadline((async () => {
    while ((await mesh.api.jobs.getJob({ requestId: ids[0]! })).job!.state === JobState.JOB_STATE_QUEUED) await sleep(100);
  })(), 30_000, 'first job leaves the queue');
  await sleep(600); // past the gate's 500 ms count reuse, which still counts the first job as queued
  // Eight at once against a limit of three (the load drill found a burst slipping through).
  const burst = await withDeadline(Promise.allSettled(ids.slice(1).map(submit)), 30_000, 'burst');
  const accepted = burst.filter((r) => r.status === 'fulfilled').length;
  assert.is(accepted, 3, 'as many as the queue has places');
  const refusals = burst.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as MeshError);
  for (const refusal of refusals) {
    assert.is(refusal.code, status.RESOURCE_EXHAUSTED);
    assert.is(refusal.reason, 'QUEUE_FULL');
    assert.is(refusal.facts['retry-after-ms'], '2000', 'retry hint in the trailers');
  }
  const refusedId = ids[1 + burst.findIndex((r) => r.status === 'rejected')]!;
  await expectStatus(mesh.api.jobs.getJob({ requestId: refusedId }), status.NOT_FOUND);
  const storedId = ids[1 + burst.findIndex((r) => r.status === 'fulfilled')]!;
  const again = await withDeadline(submit(storedId), 10_000, 'retried stored job');
  assert.is(again.job!.requestId, storedId);
  for (const [i, r] of burst.entries()) if (r.status === 'fulfilled') await mesh.api.jobs.cancelJob({ requestId: ids[i + 1]!, reason: 'test over' });
  await mesh.api.jobs.cancelJob({ requestId: ids[0]!, reason: 'test over' });
});

test.run();
