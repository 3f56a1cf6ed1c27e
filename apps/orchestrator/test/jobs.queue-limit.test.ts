import { randomUUID } from 'node:crypto';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
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

test('past the limit a new job gets RESOURCE_EXHAUSTED QUEUE_FULL with a retry hint; a retried stored one still succeeds', async ({ mesh, repo }) => {
  const submit = (requestId: string) => mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'sleep 30', timeoutMs: 120_000 }));
  const ids = Array.from({ length: 5 }, () => randomUUID());
  await withDeadline(submit(ids[0]!), 10_000, 'first job');
  // The first job takes the one slot; the next three wait in QUEUED.
  await withDeadline((async () => {
    while ((await mesh.api.jobs.getJob({ requestId: ids[0]! })).job!.state === JobState.JOB_STATE_QUEUED) await sleep(100);
  })(), 30_000, 'first job leaves the queue');
  for (const id of ids.slice(1, 4)) await withDeadline(submit(id), 10_000, 'queued job');
  const refused = await withDeadline(expectStatus(submit(ids[4]!), status.RESOURCE_EXHAUSTED, { reason: 'QUEUE_FULL' }), 10_000, 'refused job');
  assert.is(refused.facts['retry-after-ms'], '2000', 'retry hint in the trailers');
  await expectStatus(mesh.api.jobs.getJob({ requestId: ids[4]! }), status.NOT_FOUND);
  const again = await withDeadline(submit(ids[2]!), 10_000, 'retried stored job');
  assert.is(again.job!.requestId, ids[2]);
  for (const id of ids.slice(0, 4)) await mesh.api.jobs.cancelJob({ requestId: id, reason: 'test over' });
});

test.run();
