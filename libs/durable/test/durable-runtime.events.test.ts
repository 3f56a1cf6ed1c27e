import type { Workflow } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import type { TestPersistence } from '@jobmesh/persistence/testing';
import * as assert from 'uvu/assert';
import { childEndedEvent, createWorkflowRuntime, type ChildEndedPayload, type WorkflowContext, type WorkflowRuntime, type WorkflowStore } from '../src/index.ts';
import { logger, runtimeSuite, sleep, uniqueName } from './support/runtime-suite.ts';

const test = runtimeSuite('durable runtime events');
// These tests watch the release-and-wake path: a wait gives the workflow back at once (no hold).
const runtime = (ctx: { p: TestPersistence; runtimes: WorkflowRuntime[] }, options: { leaseMs?: number; store?: WorkflowStore; eventHoldMs?: number } = {}) => {
  const r = createWorkflowRuntime({ store: options.store ?? ctx.p.clients.workflows, logger, leaseMs: options.leaseMs ?? 5000, pollIntervalMs: 50, hooks: { eventHoldMs: options.eventHoldMs ?? 0 } });
  ctx.runtimes.push(r);
  return r;
};
/** Polls the workflow until `check` holds. */
const until = (p: TestPersistence, id: string, what: string, check: (w: Workflow) => boolean) => withDeadline((async () => {
  for (;;) {
    const { workflow } = await p.clients.workflows.getWorkflow({ id });
    if (check(workflow!)) return workflow!;
    await sleep(20);
  }
})(), 10_000, what);
const suspendedOn = (p: TestPersistence, id: string, event: string, index = 0) => until(p, id, `suspended on ${event} #${index}`, (w) =>
  w.status === WorkflowStatus.WORKFLOW_STATUS_PENDING && w.waitingForEvent === event && w.waitingForEventIndex === index);

test('an event raised before the workflow waits is kept: the wait returns it without suspending', async (ctx) => {
  const name = uniqueName('early');
  const r = runtime(ctx);
  r.register(name, async (wf) => wf.waitForEvent<{ ok: boolean }>('approval'));
  const id = await r.start(name, null);
  assert.equal(await r.raiseEvent(id, 'approval', { ok: true }), { seq: 1, created: true });
  r.run();
  const done = await withDeadline(r.waitFor(id), 20_000, 'ends');
  assert.equal(JSON.parse(done.outputJson), { ok: true });
  assert.is(done.claimCount, 1, 'never suspended');
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => [s.name, JSON.parse(s.outputJson)]), [['durable.event:approval', { ok: true }]]);
});

test('an event raised after the workflow suspended wakes it; k waits get the k events of the name in arrival order', async (ctx) => {
  const name = uniqueName('late');
  const r = runtime(ctx);
  r.register(name, async (wf) => {
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await wf.waitForEvent<number>('tick'));
    return got;
  });
  r.run();
  const id = await r.start(name, null);
  await r.raiseEvent(id, 'other', 'ignored');
  await r.raiseEvent(id, 'tick', 1);
  await r.raiseEvent(id, 'tick', 2);
  await suspendedOn(ctx.p, id, 'tick', 2);
  assert.is((await r.raiseEvent(id, 'tick', 3)).seq, 4);
  const done = await withDeadline(r.waitFor(id), 20_000, 'ends');
  assert.equal(JSON.parse(done.outputJson), [1, 2, 3]);
  assert.ok(done.claimCount >= 2);
});

test('a wait holds its lease a while: an event raised meanwhile is taken by the same claim, without a release and a replay', async (ctx) => {
  const name = uniqueName('hold');
  const r = runtime(ctx, { eventHoldMs: 10_000 });
  r.register(name, async (wf) => wf.waitForEvent<string>('soon'));
  r.run();
  const id = await r.start(name, null);
  await until(ctx.p, id, 'running', (w) => w.status === 2 /* RUNNING */);
  await sleep(300);
  await ctx.p.clients.workflows.raiseWorkflowEvent({ workflowId: id, name: 'soon', payloadJson: '"here"', dedupeKey: '' });
  const done = await withDeadline(r.waitFor(id), 10_000, 'ends');
  assert.is(JSON.parse(done.outputJson), 'here');
  assert.is(done.claimCount, 1, 'claimed once: no release, no replay');
});

test('waits side by side keep their call order as step numbers, whichever event came first', async (ctx) => {
  const name = uniqueName('parallel');
  const r = runtime(ctx);
  r.register(name, async (wf) => Promise.all([wf.waitForEvent<string>('a'), wf.waitForEvent<string>('b')]));
  r.run();
  const id = await r.start(name, null);
  await r.raiseEvent(id, 'b', 'B');
  await suspendedOn(ctx.p, id, 'a');
  await r.raiseEvent(id, 'a', 'A');
  assert.equal(JSON.parse((await withDeadline(r.waitFor(id), 20_000, 'ends')).outputJson), ['A', 'B']);
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => [s.stepNumber, s.name]), [[0, 'durable.event:a'], [1, 'durable.event:b']]);
});

test('a dedupe key makes a double raise one event: the second wait stays suspended', async (ctx) => {
  const name = uniqueName('dedupe');
  const r = runtime(ctx);
  r.register(name, async (wf) => [await wf.waitForEvent('deploy'), await wf.waitForEvent('deploy')]);
  r.run();
  const id = await r.start(name, null);
  assert.equal(await r.raiseEvent(id, 'deploy', 'v1', { dedupeKey: 'deploy-1' }), { seq: 1, created: true });
  assert.equal(await r.raiseEvent(id, 'deploy', 'v1 again', { dedupeKey: 'deploy-1' }), { seq: 1, created: false });
  await suspendedOn(ctx.p, id, 'deploy', 1);
  await r.raiseEvent(id, 'deploy', 'v2', { dedupeKey: 'deploy-2' });
  assert.equal(JSON.parse((await withDeadline(r.waitFor(id), 20_000, 'ends')).outputJson), ['v1', 'v2']);
});

test('after a crash the replay returns the recorded payload without reading another event', async (ctx) => {
  const name = uniqueName('replay');
  let crashed = false;
  const fn = async (wf: WorkflowContext) => {
    const first = await wf.waitForEvent<string>('e');
    await wf.step('after', async () => {
      if (!crashed) {
        crashed = true;
        await new Promise(() => {}); // the first runtime "crashes" here
      }
    });
    return { first, second: await wf.waitForEvent<string>('e') };
  };
  const a = runtime(ctx, { leaseMs: 400 });
  a.register(name, fn);
  const id = await a.start(name, null);
  await a.raiseEvent(id, 'e', 'one');
  await a.raiseEvent(id, 'e', 'two');
  a.run();
  await withDeadline((async () => { while (!crashed) await sleep(10); })(), 10_000, 'first runtime in the step after the wait');
  a.kill();
  const reads: number[] = [];
  const counting: WorkflowStore = { ...ctx.p.clients.workflows, getWorkflowEvent: (request, ...rest) => (reads.push(request.index), ctx.p.clients.workflows.getWorkflowEvent(request, ...rest)) };
  const b = runtime(ctx, { leaseMs: 400, store: counting });
  b.register(name, fn);
  b.run();
  const done = await withDeadline(b.waitFor(id), 20_000, 'second runtime finishes');
  assert.equal(JSON.parse(done.outputJson), { first: 'one', second: 'two' });
  assert.equal(reads, [1], 'the replayed wait read nothing; the next one read event #1');
  assert.is(done.claimCount, 2);
});

test('raising for an unknown or ended workflow, or with a bad field, is refused with its status', async (ctx) => {
  const name = uniqueName('refused');
  const r = runtime(ctx);
  r.register(name, async () => 'done');
  r.run();
  const id = await r.start(name, null);
  await withDeadline(r.waitFor(id), 20_000, 'ends');
  await expectStatus(r.raiseEvent('00000000-0000-4000-8000-000000000000', 'x', 1), status.NOT_FOUND, { reason: 'WORKFLOW_NOT_FOUND' });
  await expectStatus(r.raiseEvent(id, 'x', 1), status.FAILED_PRECONDITION, { reason: 'WORKFLOW_ENDED' });
  await expectStatus(r.raiseEvent(id, 'bad name', 1), status.INVALID_ARGUMENT, { field: 'name' });
  await expectStatus(r.raiseEvent(id, 'x', 'y'.repeat(1024 * 1024)), status.INVALID_ARGUMENT, { field: 'payload_json' });
  await expectStatus(r.raiseEvent(id, 'x', 1, { dedupeKey: 'k'.repeat(201) }), status.INVALID_ARGUMENT, { field: 'dedupe_key' });
});

test('a child ending raises durable.child-ended on its parent exactly once; the waiting parent wakes', async (ctx) => {
  const parent = uniqueName('parent');
  const child = uniqueName('child');
  const r = runtime(ctx);
  let release!: () => void;
  const childMayEnd = new Promise<void>((resolve) => (release = resolve));
  r.register(child, async (wf) => wf.step('work', async () => { await childMayEnd; throw new Error('exit 2'); }));
  r.register(parent, async (wf) => {
    const childId = await wf.uuid();
    await wf.step('start-child', async () => { await r.start(child, null, { id: childId, parentId: wf.workflowId }); });
    const ended = await wf.waitForEvent<ChildEndedPayload>(childEndedEvent);
    return { childId, ended };
  });
  r.run();
  const id = await r.start(parent, null);
  await suspendedOn(ctx.p, id, childEndedEvent);
  release();
  const done = await withDeadline(r.waitFor(id), 20_000, 'parent ends');
  const { childId, ended } = JSON.parse(done.outputJson);
  assert.equal(ended, { childId, name: child, status: 'failed', error: 'STEP_ERROR: exit 2' });
  const second = await ctx.p.clients.workflows.getWorkflowEvent({ workflowId: id, name: childEndedEvent, index: 1 });
  assert.is(second.event, undefined, 'raised once');
});

test('a cancel request wakes a waiting workflow: the wait throws WorkflowCancelledError, clean-up runs; a deadline ends a wait TIMED_OUT', async (ctx) => {
  const name = uniqueName('cancel');
  let cleaned = 0;
  const r = runtime(ctx);
  r.register(name, async (wf) => {
    try {
      return await wf.waitForEvent('never');
    } finally {
      await wf.step('cleanup', async () => { cleaned++; }, { cleanup: true });
    }
  });
  r.run();
  const id = await r.start(name, null);
  await suspendedOn(ctx.p, id, 'never');
  await ctx.p.clients.workflows.requestWorkflowCancel({ id, reason: 'user asked' });
  const done = await withDeadline(r.waitFor(id), 20_000, 'cancelled');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_CANCELLED);
  assert.match(done.error, /user asked/);
  assert.is(cleaned, 1);

  const timed = await r.start(name, null, { deadlineAt: new Date(Date.now() + 600) });
  await suspendedOn(ctx.p, timed, 'never');
  assert.is((await withDeadline(r.waitFor(timed), 20_000, 'timed out')).status, WorkflowStatus.WORKFLOW_STATUS_TIMED_OUT);
  assert.is(cleaned, 2);
});

test.run();
