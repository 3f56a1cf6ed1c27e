import { randomUUID } from 'node:crypto';
import { RetentionStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDatabasePool } from '../src/db/create-database-pool.ts';
import { raiseWorkflowEvent } from '../src/workflows/raise-workflow-event.ts';
import { lockWorkflow, releaseWorkflow } from '../src/workflows/workflow-queries.ts';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

// ReleaseWorkflow with a wait: claimable only once the event is there, never missing one raised meanwhile.
const test = suite<{ p: TestPersistence; pool: DatabasePool }>('persistence workflow event waits');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.pool = await createDatabasePool(ctx.p.database.url);
});
test.after(async (ctx) => {
  await ctx.pool?.end();
  await ctx.p?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A workflow of its own name, claimed: RUNNING under its first fencing token. */
const running = async (p: TestPersistence, extra: { parentId?: string; deadlineAt?: Date } = {}) => {
  const name = `wf.wait.${randomUUID()}`;
  await p.clients.workflows.createWorkflow({ id: randomUUID(), name, inputJson: 'null', parentId: extra.parentId ?? '', jobRequestId: '', scheduledAt: undefined, deadlineAt: extra.deadlineAt, claimOwner: '', claimLeaseMs: 0 });
  const [w] = (await claim(p, name)).workflows;
  return w!;
};
const claim = (p: TestPersistence, name: string) => p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 60_000, limit: 1, names: [name] });
const waitFor = (p: TestPersistence, w: { id: string; fencingToken: number }, waitEventName: string, waitEventIndex = 0) =>
  p.clients.workflows.releaseWorkflow({ id: w.id, fencingToken: w.fencingToken, resumeAt: undefined, waitEventName, waitEventIndex });
const raise = (p: TestPersistence, workflowId: string, name: string, payload: unknown = null) =>
  p.clients.workflows.raiseWorkflowEvent({ workflowId, name, payloadJson: JSON.stringify(payload), dedupeKey: '' });
const complete = (p: TestPersistence, w: { id: string; fencingToken: number }, status: WorkflowStatus, error = '') =>
  p.clients.workflows.completeWorkflow({ id: w.id, fencingToken: w.fencingToken, status, outputJson: status === WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED ? '1' : '', error, finalSteps: [] });
const isClaimable = async (p: TestPersistence, name: string) => (await claim(p, name)).workflows.length === 1;

test('a waiting workflow is claimable only once the k-th event of its name arrived; the claim clears the wait', async ({ p }) => {
  const w = await running(p);
  const released = (await waitFor(p, w, 'approval', 1)).workflow!;
  assert.is(released.status, WorkflowStatus.WORKFLOW_STATUS_PENDING);
  assert.is(released.waitingForEvent, 'approval');
  assert.is(released.waitingForEventIndex, 1);
  assert.is(await isClaimable(p, w.name), false);
  await raise(p, w.id, 'other');
  await raise(p, w.id, 'approval');
  assert.is(await isClaimable(p, w.name), false, 'event #0 does not wake a wait for #1');
  await raise(p, w.id, 'approval');
  const [claimed] = (await claim(p, w.name)).workflows;
  assert.ok(claimed, 'event #1 wakes it');
  assert.is(claimed!.waitingForEvent, '');
  assert.is(claimed!.fencingToken, w.fencingToken + 1);
});

test('a release with a wait for an event that is there already is claimable at once (the event came first)', async ({ p }) => {
  const w = await running(p);
  await raise(p, w.id, 'ready', { ok: true });
  const released = (await waitFor(p, w, 'ready')).workflow!;
  assert.ok(released.scheduledAt!.getTime() <= Date.now() + 1000);
  assert.is(await isClaimable(p, w.name), true);
});

test('the race: a raise committing while the release waits for the row lock is seen by the release', async ({ p, pool }) => {
  const w = await running(p);
  let commit!: () => void;
  const gate = new Promise<void>((resolve) => (commit = resolve));
  // The raise holds the workflow's row lock and has inserted its event, uncommitted, when the release arrives.
  const raising = pool.transaction(async (tx) => {
    const outcome = await raiseWorkflowEvent(tx, { workflowId: w.id, name: 'go', payloadJson: '1', dedupeKey: null });
    await gate;
    return outcome;
  });
  await sleep(100);
  let releasedAt = 0;
  const releasing = waitFor(p, w, 'go').then((r) => ((releasedAt = Date.now()), r));
  await sleep(300);
  assert.is(releasedAt, 0, 'the release waits for the raise');
  commit();
  assert.is((await raising).kind, 'created');
  const released = (await releasing).workflow!;
  assert.is(released.waitingForEvent, 'go');
  assert.is(await isClaimable(p, w.name), true, 'the event committed before the release read it: claimable at once');
});

test('the race the other way: a release holding the row lock is seen by the raise, which wakes it', async ({ p, pool }) => {
  const w = await running(p);
  let commit!: () => void;
  const gate = new Promise<void>((resolve) => (commit = resolve));
  const releasing = pool.transaction(async (tx) => {
    await lockWorkflow(tx, w.id);
    const row = await releaseWorkflow(tx, w.id, w.fencingToken, null, { name: 'go', index: 0 });
    await gate;
    return row;
  });
  await sleep(100);
  const raising = raise(p, w.id, 'go');
  await sleep(300);
  commit();
  assert.is((await releasing)!.scheduled_at.getUTCFullYear(), 9999, 'released with no event: never due by itself');
  assert.is((await raising).created, true);
  assert.is(await isClaimable(p, w.name), true, 'the raise saw the wait and woke it');
});

test('a cancel request wakes a waiting workflow; a wait ends at the deadline or resume_at too', async ({ p }) => {
  const w = await running(p);
  await waitFor(p, w, 'never');
  assert.is(await isClaimable(p, w.name), false);
  await p.clients.workflows.requestWorkflowCancel({ id: w.id, reason: 'stop' });
  const [woken] = (await claim(p, w.name)).workflows;
  assert.is(woken!.cancelRequested, true);
  // Cancellation requested while it ran: the release with a wait leaves it claimable.
  await waitFor(p, woken!, 'never');
  assert.is(await isClaimable(p, w.name), true);

  const timed = await running(p, { deadlineAt: new Date(Date.now() + 300) });
  await waitFor(p, timed, 'never');
  assert.is(await isClaimable(p, timed.name), false);
  await sleep(400);
  assert.is(await isClaimable(p, timed.name), true, 'due at the deadline');

  const bounded = await running(p);
  await p.clients.workflows.releaseWorkflow({ id: bounded.id, fencingToken: bounded.fencingToken, resumeAt: new Date(Date.now() + 300), waitEventName: 'never', waitEventIndex: 0 });
  assert.is(await isClaimable(p, bounded.name), false);
  await sleep(400);
  assert.is(await isClaimable(p, bounded.name), true, 'due at resume_at');
});

test('a child ending raises durable.child-ended on its parent once, waking a waiting parent; an ended parent gets none', async ({ p }) => {
  const parent = await running(p);
  const child = await running(p, { parentId: parent.id });
  const other = await running(p, { parentId: parent.id });
  await waitFor(p, parent, 'durable.child-ended');
  await complete(p, child, WorkflowStatus.WORKFLOW_STATUS_FAILED, 'exit 3');
  await complete(p, child, WorkflowStatus.WORKFLOW_STATUS_FAILED, 'exit 3'); // a retry of a completion whose answer was lost
  const { event } = await p.clients.workflows.getWorkflowEvent({ workflowId: parent.id, name: 'durable.child-ended', index: 0 });
  assert.equal(JSON.parse(event!.payloadJson), { childId: child.id, name: child.name, status: 'failed', error: 'exit 3' });
  assert.is(event!.dedupeKey, `child-ended:${child.id}`);
  const [woken] = (await claim(p, parent.name)).workflows;
  assert.ok(woken, 'the waiting parent woke');
  await complete(p, other, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  const second = (await p.clients.workflows.getWorkflowEvent({ workflowId: parent.id, name: 'durable.child-ended', index: 1 })).event;
  assert.equal(JSON.parse(second!.payloadJson), { childId: other.id, name: other.name, status: 'succeeded', error: null });
  assert.is((await p.clients.workflows.getWorkflowEvent({ workflowId: parent.id, name: 'durable.child-ended', index: 2 })).event, undefined, 'once per child');

  const late = await running(p, { parentId: parent.id });
  await complete(p, woken!, WorkflowStatus.WORKFLOW_STATUS_CANCELLED, 'stop');
  await complete(p, late, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.is((await p.clients.workflows.getWorkflowEvent({ workflowId: parent.id, name: 'durable.child-ended', index: 2 })).event, undefined, 'an ended parent takes none');
});

test('retention deletes an old ended workflow\'s events in their own batches before the workflow', async ({ p }) => {
  const w = await running(p);
  for (let i = 0; i < 3; i++) await raise(p, w.id, 'tick', i);
  await complete(p, w, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  const db = new pg.Client({ connectionString: p.database.url });
  await db.connect();
  const retention = createClient(RetentionStoreServiceService, p.address);
  try {
    await db.query(`UPDATE workflows SET finished_at = now() - interval '40 days' WHERE id = $1`, [w.id]);
    const cutoff = new Date(Date.now() - 30 * 24 * 3_600_000);
    const answer = await retention.pruneHistory({ cutoffs: { jobs: cutoff, logs: undefined, artifacts: undefined, vms: undefined, fsJobs: undefined }, dryRun: false, batchSize: 2, maxBatches: 0 });
    assert.is(answer.counts!.workflows, 1);
    assert.is(answer.counts!.workflowSteps, 0, 'events have no counter: they are not steps');
    const left = await db.query(`SELECT (SELECT count(*) FROM workflow_events WHERE workflow_id = $1)::int AS events, (SELECT count(*) FROM workflows WHERE id = $1)::int AS workflows`, [w.id]);
    assert.equal(left.rows[0], { events: 0, workflows: 0 });
  } finally {
    retention.close();
    await db.end();
  }
});

test.run();
