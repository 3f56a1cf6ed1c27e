import { randomUUID } from 'node:crypto';
import { PipelineStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// Concurrency groups: jobs of a group hold it one at a time, in the order they asked.
type Pipelines = ReturnType<typeof createClient<typeof PipelineStoreServiceService>>;
const test = suite<{ p: TestPersistence; pipelines: Pipelines }>('persistence concurrency groups');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.pipelines = createClient(PipelineStoreServiceService, ctx.p.address);
});
test.after(async (ctx) => {
  ctx.pipelines?.close();
  await ctx.p?.stop();
});

async function newJobs(p: TestPersistence, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const spec = jobSpec();
    await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
    ids.push(spec.requestId);
  }
  return ids;
}

test('three jobs hold a group one after the other, in the order they asked; releases let the next one in', async ({ p, pipelines }) => {
  const group = `deploy-${randomUUID().slice(0, 8)}`;
  const [a, b, c] = (await newJobs(p, 3)) as [string, string, string];
  const acquire = (jobRequestId: string, g = group) => pipelines.acquireConcurrencyGroup({ group: g, jobRequestId });
  const release = (jobRequestId: string) => pipelines.releaseConcurrencyGroup({ group, jobRequestId });

  assert.equal(await acquire(a), { held: true, ahead: 0 });
  assert.equal(await acquire(b), { held: false, ahead: 1 });
  assert.equal(await acquire(c), { held: false, ahead: 2 });
  assert.equal(await acquire(a), { held: true, ahead: 0 }, 'asking again keeps the place');
  assert.equal(await acquire(c), { held: false, ahead: 2 });
  assert.equal(await acquire(c, `${group}.other`), { held: true, ahead: 0 }, 'groups are independent');

  await release(b);
  assert.equal(await acquire(c), { held: false, ahead: 1 }, 'a waiting job that leaves moves those behind it up');
  await release(a);
  assert.equal(await acquire(c), { held: true, ahead: 0 }, 'the holder leaving lets the next one in');
  await release(a);
  assert.equal(await acquire(b), { held: false, ahead: 1 }, 'a job that left and asks again queues at the end');
  await release(c);
  assert.equal(await acquire(b), { held: true, ahead: 0 });
  await release(b);
  await release(randomUUID());
});

test('a job that ends leaves its groups: a hold its workflow never released does not block the group', async ({ p, pipelines }) => {
  const group = `ended-${randomUUID().slice(0, 8)}`;
  const [a, b] = (await newJobs(p, 2)) as [string, string];
  assert.equal(await pipelines.acquireConcurrencyGroup({ group, jobRequestId: a }), { held: true, ahead: 0 });
  assert.equal(await pipelines.acquireConcurrencyGroup({ group, jobRequestId: b }), { held: false, ahead: 1 });
  await p.clients.jobs.transitionJob({ requestId: a, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_CANCELLED, message: 'test', exitCode: undefined, error: '' });
  assert.equal(await pipelines.acquireConcurrencyGroup({ group, jobRequestId: b }), { held: true, ahead: 0 });
});

test('jobs asking at once get distinct places: exactly one holds the group', async ({ p, pipelines }) => {
  const group = `race-${randomUUID().slice(0, 8)}`;
  const ids = await newJobs(p, 12);
  const answers = await Promise.all(ids.map((jobRequestId) => pipelines.acquireConcurrencyGroup({ group, jobRequestId })));
  assert.equal(answers.map((a) => a.ahead).sort((x, y) => x - y), ids.map((_, i) => i));
  assert.is(answers.filter((a) => a.held).length, 1);
});

test('bad group names and job ids are INVALID_ARGUMENT; an unknown job NOT_FOUND', async ({ pipelines }) => {
  for (const group of ['', 'a b', 'x'.repeat(129), 'a/b']) {
    await expectStatus(pipelines.acquireConcurrencyGroup({ group, jobRequestId: randomUUID() }), status.INVALID_ARGUMENT, { field: 'group' });
    await expectStatus(pipelines.releaseConcurrencyGroup({ group, jobRequestId: randomUUID() }), status.INVALID_ARGUMENT, { field: 'group' });
  }
  await expectStatus(pipelines.acquireConcurrencyGroup({ group: 'g', jobRequestId: 'j' }), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(pipelines.releaseConcurrencyGroup({ group: 'g', jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(pipelines.acquireConcurrencyGroup({ group: 'g', jobRequestId: randomUUID() }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND', field: 'job_request_id' });
});

test.run();
