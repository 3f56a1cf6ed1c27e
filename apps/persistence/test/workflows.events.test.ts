import { randomUUID } from 'node:crypto';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

// RaiseWorkflowEvent and GetWorkflowEvent through a real client: kept, ordered, deduplicated, refused.
const test = suite<{ p: TestPersistence }>('persistence workflow events');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const create = async (p: TestPersistence) => (await p.clients.workflows.createWorkflow({
  id: randomUUID(), name: `wf.events.${randomUUID()}`, inputJson: 'null', parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0,
})).workflow!;
const raise = (p: TestPersistence, workflowId: string, name: string, payload: unknown, dedupeKey = '') =>
  p.clients.workflows.raiseWorkflowEvent({ workflowId, name, payloadJson: JSON.stringify(payload), dedupeKey });
const get = async (p: TestPersistence, workflowId: string, name: string, index: number) =>
  (await p.clients.workflows.getWorkflowEvent({ workflowId, name, index })).event;

test('events are kept in arrival order per workflow; GetWorkflowEvent reads the k-th of a name', async ({ p }) => {
  const w = await create(p);
  const a = await raise(p, w.id, 'approval', { by: 'ann' });
  assert.is(a.created, true);
  assert.is(a.event!.seq, 1);
  assert.is(a.event!.name, 'approval');
  assert.is(a.event!.dedupeKey, '');
  assert.ok(a.event!.raisedAt instanceof Date);
  await raise(p, w.id, 'other', 1);
  const b = await raise(p, w.id, 'approval', { by: 'bob' });
  assert.is(b.event!.seq, 3);
  assert.equal(JSON.parse((await get(p, w.id, 'approval', 0))!.payloadJson), { by: 'ann' });
  assert.equal(JSON.parse((await get(p, w.id, 'approval', 1))!.payloadJson), { by: 'bob' });
  assert.is((await get(p, w.id, 'approval', 1))!.seq, 3);
  assert.is(await get(p, w.id, 'approval', 2), undefined, 'not arrived yet');
  assert.is(await get(p, w.id, 'never', 0), undefined);
  assert.is((await get(p, w.id, 'other', 0))!.payloadJson, '1');
  // Another workflow has its own numbering.
  assert.is((await raise(p, (await create(p)).id, 'approval', null)).event!.seq, 1);
  const empty = await p.clients.workflows.raiseWorkflowEvent({ workflowId: w.id, name: 'empty', payloadJson: '', dedupeKey: '' });
  assert.is(empty.event!.payloadJson, 'null', 'an empty payload is null');
});

test('a dedupe key makes a repeated raise one event, answered with the stored one, also after the workflow ended', async ({ p }) => {
  const w = await create(p);
  const first = await raise(p, w.id, 'deploy', { n: 1 }, 'deploy-42');
  const again = await raise(p, w.id, 'deploy', { n: 2 }, 'deploy-42');
  assert.is(again.created, false);
  assert.is(again.event!.seq, first.event!.seq);
  assert.equal(JSON.parse(again.event!.payloadJson), { n: 1 }, 'the stored event wins');
  assert.is(again.event!.dedupeKey, 'deploy-42');
  assert.is((await raise(p, w.id, 'deploy', { n: 3 }, 'deploy-43')).created, true);
  assert.is(await get(p, w.id, 'deploy', 2), undefined, 'two events, not three');
  const [claimed] = (await p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 60_000, limit: 1, names: [w.name] })).workflows;
  await p.clients.workflows.completeWorkflow({ id: w.id, fencingToken: claimed!.fencingToken, status: WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, outputJson: '1', error: '', finalSteps: [] });
  const retried = await raise(p, w.id, 'deploy', { n: 1 }, 'deploy-42');
  assert.is(retried.created, false, 'a retry whose answer was lost gets it after the end too');
  assert.is(retried.event!.seq, first.event!.seq);
});

test('an unknown workflow is NOT_FOUND; an ended one is FAILED_PRECONDITION WORKFLOW_ENDED', async ({ p }) => {
  await expectStatus(raise(p, randomUUID(), 'x', 1), status.NOT_FOUND, { reason: 'WORKFLOW_NOT_FOUND' });
  await expectStatus(p.clients.workflows.getWorkflowEvent({ workflowId: randomUUID(), name: 'x', index: 0 }), status.NOT_FOUND, { reason: 'WORKFLOW_NOT_FOUND' });
  const w = await create(p);
  const [claimed] = (await p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 60_000, limit: 1, names: [w.name] })).workflows;
  await p.clients.workflows.completeWorkflow({ id: w.id, fencingToken: claimed!.fencingToken, status: WorkflowStatus.WORKFLOW_STATUS_FAILED, outputJson: '', error: 'boom', finalSteps: [] });
  const refused = await expectStatus(raise(p, w.id, 'x', 1), status.FAILED_PRECONDITION, { reason: 'WORKFLOW_ENDED' });
  assert.match(refused.message, /failed/);
  assert.is(await get(p, w.id, 'x', 0), undefined, 'an ended workflow can still be read');
});

test('bad fields are INVALID_ARGUMENT naming the field', async ({ p }) => {
  const w = await create(p);
  const call = (overrides: { workflowId?: string; name?: string; payloadJson?: string; dedupeKey?: string }) =>
    p.clients.workflows.raiseWorkflowEvent({ workflowId: w.id, name: 'ok', payloadJson: '1', dedupeKey: '', ...overrides });
  await expectStatus(call({ workflowId: 'nope' }), status.INVALID_ARGUMENT, { field: 'workflow_id' });
  await expectStatus(call({ name: '' }), status.INVALID_ARGUMENT, { field: 'name' });
  await expectStatus(call({ name: 'n'.repeat(201) }), status.INVALID_ARGUMENT, { field: 'name' });
  await expectStatus(call({ name: 'has space' }), status.INVALID_ARGUMENT, { field: 'name' });
  assert.is((await call({ name: 'n'.repeat(200) })).created, true, '200 characters are fine');
  await expectStatus(call({ payloadJson: '{nope' }), status.INVALID_ARGUMENT, { field: 'payload_json' });
  await expectStatus(call({ payloadJson: JSON.stringify('x'.repeat(1024 * 1024)) }), status.INVALID_ARGUMENT, { field: 'payload_json' });
  assert.is((await call({ payloadJson: JSON.stringify('x'.repeat(1024 * 1024 - 100)) })).created, true, 'just under 1 MiB is fine');
  await expectStatus(call({ dedupeKey: 'k'.repeat(201) }), status.INVALID_ARGUMENT, { field: 'dedupe_key' });
  const read = (overrides: { name?: string; index?: number }) => p.clients.workflows.getWorkflowEvent({ workflowId: w.id, name: 'ok', index: 0, ...overrides });
  await expectStatus(read({ index: -1 }), status.INVALID_ARGUMENT, { field: 'index' });
  await expectStatus(read({ name: '' }), status.INVALID_ARGUMENT, { field: 'name' });
  await expectStatus(p.clients.workflows.getWorkflowEvent({ workflowId: '', name: 'ok', index: 0 }), status.INVALID_ARGUMENT, { field: 'workflow_id' });
  const [claimed] = (await p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 60_000, limit: 1, names: [w.name] })).workflows;
  const release = (waitEventName: string, waitEventIndex: number) =>
    p.clients.workflows.releaseWorkflow({ id: w.id, fencingToken: claimed!.fencingToken, resumeAt: undefined, waitEventName, waitEventIndex });
  await expectStatus(release('', 1), status.INVALID_ARGUMENT, { field: 'wait_event_index' });
  await expectStatus(release('ok', -1), status.INVALID_ARGUMENT, { field: 'wait_event_index' });
  await expectStatus(release('bad name', 0), status.INVALID_ARGUMENT, { field: 'wait_event_name' });
});

test.run();
