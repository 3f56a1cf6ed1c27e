import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import * as assert from 'uvu/assert';
import { createWorkflowRuntime, type WorkflowRuntime, type WorkflowStore } from '../src/index.ts';
import { logger, runtimeSuite, sleep, uniqueName } from './support/runtime-suite.ts';

const test = runtimeSuite('durable runtime: claims promptly, reads steps only to replay');

/** The store with calls counted per method, and claims answered only after `claimDelayMs`. */
function countingStore(base: WorkflowStore, claimDelayMs = 0) {
  const calls = new Map<string, number>();
  const store = new Proxy(base, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close') return value;
      return async (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (property === 'claimWorkflows' && claimDelayMs) await sleep(claimDelayMs);
        return result;
      };
    },
  });
  return { store, calls };
}

test('a start while a claim is in flight is claimed at once, not a poll interval later', async (ctx) => {
  const name = uniqueName('wake');
  // Every claim answers 300 ms after its query ran: a start() in that window misses it.
  const { store } = countingStore(ctx.p.clients.workflows, 300);
  const r = createWorkflowRuntime({ store, logger, pollIntervalMs: 60_000 });
  ctx.runtimes.push(r);
  r.register(name, async (wf) => wf.step('only', async () => 'done'));
  r.run();
  await sleep(100); // the first claim is in flight now
  const began = Date.now();
  const id = await r.start(name, {});
  const done = await withDeadline(r.waitFor(id, { pollMs: 20 }), 15_000, 'workflow ends well before the 60 s poll');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.ok(Date.now() - began < 15_000);
  await r.stop();
});

test('a first claim runs without reading the recorded steps; a re-claim reads and replays them', async (ctx) => {
  const name = uniqueName('replay');
  const first = countingStore(ctx.p.clients.workflows);
  let runs = 0;
  const body = async (wf: Parameters<Parameters<WorkflowRuntime['register']>[1]>[0]) => {
    runs++;
    const a = await wf.step('a', async () => runs);
    // The first execution waits after step a until its runtime is killed (which aborts its signal).
    if (runs === 1) await new Promise((_, reject) => wf.signal.addEventListener('abort', () => reject(wf.signal.reason), { once: true }));
    const b = await wf.step('b', async () => runs);
    return { a, b };
  };
  const r1 = createWorkflowRuntime({ store: first.store, logger, leaseMs: 500, pollIntervalMs: 50 });
  ctx.runtimes.push(r1);
  r1.register(name, body);
  r1.run();
  const id = await r1.start(name, {});
  await withDeadline((async () => {
    while ((await ctx.p.clients.workflows.getWorkflow({ id })).steps.length < 1) await sleep(20);
  })(), 10_000, 'step a recorded');
  assert.is(first.calls.get('getWorkflow') ?? 0, 0, 'the first execution did not read steps');
  r1.kill();

  const second = countingStore(ctx.p.clients.workflows);
  const r2 = createWorkflowRuntime({ store: second.store, logger, leaseMs: 5000, pollIntervalMs: 50 });
  ctx.runtimes.push(r2);
  r2.register(name, body);
  r2.run();
  const done = await withDeadline(r2.waitFor(id, { pollMs: 50 }), 20_000, 'the re-claim finishes it');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.is(done.claimCount, 2);
  assert.equal(JSON.parse(done.outputJson), { a: 1, b: 2 }, 'step a replayed from its checkpoint, step b ran in the second execution');
  await r2.stop();
});

test.run();
