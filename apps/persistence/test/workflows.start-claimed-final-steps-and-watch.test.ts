import { randomUUID } from 'node:crypto';
import { StepStatus, WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

// Issue 20's round trips: start and claim in one call, the last checkpoints inside CompleteWorkflow,
// and claimable workflows announced to the runtimes that watch their names.
const test = suite<{ p: TestPersistence }>('persistence workflows: created claimed, final steps with the completion, claimable workflows announced');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const create = (p: TestPersistence, name: string, extra: { id?: string; parentId?: string; claimOwner?: string; scheduledAt?: Date } = {}) =>
  p.clients.workflows.createWorkflow({ id: extra.id ?? randomUUID(), name, inputJson: '{}', parentId: extra.parentId ?? '', jobRequestId: '', scheduledAt: extra.scheduledAt, deadlineAt: undefined, claimOwner: extra.claimOwner ?? '', claimLeaseMs: extra.claimOwner ? 60_000 : 0 });
const step = (n: number, name: string, output: unknown = { n }) => ({
  stepNumber: n, name, status: StepStatus.STEP_STATUS_SUCCEEDED, outputJson: JSON.stringify(output), errorJson: '', attempts: 1, startedAt: new Date(), finishedAt: new Date(),
});
const complete = (p: TestPersistence, id: string, fencingToken: number, finalSteps: ReturnType<typeof step>[]) =>
  p.clients.workflows.completeWorkflow({ id, fencingToken, status: WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, outputJson: '"done"', error: '', finalSteps });

test('CreateWorkflow with claim_owner stores it RUNNING, leased, token 1; a repeat by the same owner says claimed again, another owner gets it unclaimed', async ({ p }) => {
  const name = `wf.claimed.${randomUUID()}`;
  const id = randomUUID();
  const first = await create(p, name, { id, claimOwner: 'orch-a' });
  assert.is(first.created, true);
  assert.is(first.claimed, true);
  assert.is(first.workflow!.status, WorkflowStatus.WORKFLOW_STATUS_RUNNING);
  assert.is(first.workflow!.fencingToken, 1);
  assert.is(first.workflow!.claimCount, 1);
  assert.is(first.workflow!.leaseOwner, 'orch-a');
  assert.is((await p.clients.workflows.claimWorkflows({ owner: 'orch-b', leaseMs: 60_000, limit: 10, names: [name] })).workflows.length, 0, 'not claimable by others');
  const again = await create(p, name, { id, claimOwner: 'orch-a' });
  assert.equal([again.created, again.claimed], [false, true]);
  const other = await create(p, name, { id, claimOwner: 'orch-b' });
  assert.equal([other.created, other.claimed], [false, false]);
  const later = await create(p, name, { claimOwner: 'orch-a', scheduledAt: new Date(Date.now() + 60_000) });
  assert.equal([later.claimed, later.workflow!.status], [false, WorkflowStatus.WORKFLOW_STATUS_PENDING], 'not due: not claimed');
  await expectStatus(p.clients.workflows.createWorkflow({ id: randomUUID(), name, inputJson: '{}', parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: 'orch-a', claimLeaseMs: 5 }), status.INVALID_ARGUMENT, { field: 'claim_lease_ms' });
});

test('CompleteWorkflow writes its final steps in its transaction; a recorded step under another name is NONDETERMINISM and nothing ends; a stale token writes nothing', async ({ p }) => {
  const name = `wf.final.${randomUUID()}`;
  const a = (await create(p, name, { claimOwner: 'orch' })).workflow!;
  await p.clients.workflows.recordWorkflowStep({ workflowId: a.id, fencingToken: 1, step: step(0, 'first') });
  const done = await complete(p, a.id, 1, [step(1, 'last', { ok: true })]);
  assert.is(done.workflow!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  const read = await p.clients.workflows.getWorkflow({ id: a.id });
  assert.equal(read.steps.map((s) => [s.stepNumber, s.name, JSON.parse(s.outputJson)]), [[0, 'first', { n: 0 }], [1, 'last', { ok: true }]]);
  assert.is((await complete(p, a.id, 1, [step(1, 'last', { ok: true })])).workflow!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, 'a retry gets the same answer');

  const b = (await create(p, name, { claimOwner: 'orch' })).workflow!;
  await p.clients.workflows.recordWorkflowStep({ workflowId: b.id, fencingToken: 1, step: step(0, 'first') });
  await expectStatus(complete(p, b.id, 1, [step(0, 'other')]), status.FAILED_PRECONDITION, { reason: 'NONDETERMINISM' });
  assert.is((await p.clients.workflows.getWorkflow({ id: b.id })).workflow!.status, WorkflowStatus.WORKFLOW_STATUS_RUNNING, 'not ended');

  const c = (await create(p, name, { claimOwner: 'orch' })).workflow!;
  await expectStatus(complete(p, c.id, 7, [step(0, 'stale')]), status.FAILED_PRECONDITION, { reason: 'LEASE_LOST' });
  assert.equal((await p.clients.workflows.getWorkflow({ id: c.id })).steps, [], 'a stale holder writes no step');

  // A child: its completion also raises durable.child-ended on the parent, with its final steps.
  const parent = (await create(p, name)).workflow!;
  const child = (await create(p, `${name}.child`, { parentId: parent.id, claimOwner: 'orch' })).workflow!;
  await complete(p, child.id, 1, [step(0, 'only')]);
  assert.equal((await p.clients.workflows.getWorkflow({ id: child.id })).steps.map((s) => s.name), ['only']);
  const event = await p.clients.workflows.getWorkflowEvent({ workflowId: parent.id, name: 'durable.child-ended', index: 0 });
  assert.is(JSON.parse(event.event!.payloadJson).childId, child.id);
});

test('WatchClaimableWorkflows sends a hint when a workflow of a watched name becomes claimable, not for other names', async ({ p }) => {
  const name = `wf.watch.${randomUUID()}`;
  const abort = new AbortController();
  const hints: string[][] = [];
  const watching = (async () => {
    try {
      for await (const hint of p.clients.workflows.watchClaimableWorkflows({ names: [name] }, { signal: abort.signal })) hints.push(hint.names);
    } catch { /* cancelled at the end */ }
  })();
  try {
    await new Promise((r) => setTimeout(r, 300)); // the stream is open
    await create(p, `${name}.other`);
    await create(p, name, { claimOwner: 'orch' }); // created claimed: nothing to announce
    await new Promise((r) => setTimeout(r, 300));
    assert.is(hints.length, 0, 'no hint for another name or a workflow created claimed');
    await create(p, name);
    await withDeadline((async () => {
      while (hints.length === 0) await new Promise((r) => setTimeout(r, 10));
    })(), 5_000, 'a hint for the new pending workflow');
    assert.equal(hints[0], [name]);
    await expectStatus((async () => {
      for await (const _ of p.clients.workflows.watchClaimableWorkflows({ names: [] })) break;
    })(), status.INVALID_ARGUMENT, { field: 'names' });
  } finally {
    abort.abort();
    await watching;
  }
});

test.run();
