import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createPersistenceClients } from '@jobmesh/persistence/testing';
import { randomUUID } from 'node:crypto';
import * as assert from 'uvu/assert';
import { createWorkflowRuntime, type WorkflowStore } from '../src/index.ts';
import { logger, runtimeSuite, sleep, uniqueName } from './support/runtime-suite.ts';

const test = runtimeSuite('durable runtime: start and claim in one call, the last checkpoint with the completion, wake-ups from persistence');

/** The store with its calls counted per method. */
function countingStore(base: WorkflowStore) {
  const calls = new Map<string, number>();
  const store = new Proxy(base, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

test('a 3-step workflow started here: one CreateWorkflow (claimed), no ClaimWorkflows, two RecordWorkflowStep, the third step in CompleteWorkflow', async (ctx) => {
  const name = uniqueName('round-trips');
  const { store, calls } = countingStore(ctx.p.clients.workflows);
  // Polls only once a minute: what runs here runs because start() claimed it.
  const r = createWorkflowRuntime({ store, logger, pollIntervalMs: 60_000 });
  ctx.runtimes.push(r);
  r.register(name, async (wf) => [await wf.step('a', async () => 1), await wf.step('b', async () => 2), await wf.step('c', async () => 3)]);
  r.run();
  await sleep(200); // the first (empty) claim of the loop is done
  const claimsBefore = calls.get('claimWorkflows') ?? 0;
  const id = await r.start(name, {});
  const done = await withDeadline(r.waitFor(id, { pollMs: 20 }), 10_000, 'workflow ends');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.equal(JSON.parse(done.outputJson), [1, 2, 3]);
  assert.is(calls.get('createWorkflow'), 1);
  assert.is((calls.get('claimWorkflows') ?? 0) - claimsBefore, 0, 'no claim round trip');
  assert.is(calls.get('recordWorkflowStep'), 2);
  assert.is(calls.get('completeWorkflow'), 1);
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => [s.name, JSON.parse(s.outputJson)]), [['a', 1], ['b', 2], ['c', 3]], 'every step is in the history');
  await r.stop();
});

test('a workflow another process creates is claimed at once (WatchClaimableWorkflows), not at the next poll', async (ctx) => {
  const name = uniqueName('watched');
  const r = createWorkflowRuntime({ store: ctx.p.clients.workflows, logger, pollIntervalMs: 60_000 });
  ctx.runtimes.push(r);
  let ran = 0;
  r.register(name, async (wf) => wf.step('only', async () => ++ran));
  r.run();
  await sleep(300); // the watch stream is open
  const outside = createPersistenceClients(ctx.p.address);
  try {
    const id = randomUUID();
    await outside.workflows.createWorkflow({ id, name, inputJson: '{}', parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0 });
    const done = await withDeadline(r.waitFor(id, { pollMs: 20 }), 10_000, 'claimed well before the 60 s poll');
    assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  } finally {
    for (const client of Object.values(outside)) client.close();
  }
  await r.stop();
});

test('a step whose workflow then waits for something else is checkpointed without waiting for the next step', async (ctx) => {
  const name = uniqueName('held');
  const r = createWorkflowRuntime({ store: ctx.p.clients.workflows, logger });
  ctx.runtimes.push(r);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  r.register(name, async (wf) => {
    await wf.step('before', async () => 'x');
    await held;
    return wf.step('after', async () => 'y');
  });
  r.run();
  const id = await r.start(name, {});
  await withDeadline((async () => {
    while ((await ctx.p.clients.workflows.getWorkflow({ id })).steps.length < 1) await sleep(20);
  })(), 5_000, 'the first step recorded while the workflow waits');
  release();
  assert.is((await withDeadline(r.waitFor(id, { pollMs: 20 }), 10_000, 'ends')).status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  await r.stop();
});

test.run();
