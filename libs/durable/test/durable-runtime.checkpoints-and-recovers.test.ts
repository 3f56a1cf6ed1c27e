import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { invalidArgument, status, unavailable } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import type { TestPersistence } from '@jobmesh/persistence/testing';
import * as assert from 'uvu/assert';
import { createWorkflowRuntime, type WorkflowRuntime, type WorkflowStore } from '../src/index.ts';
import { logger, runtimeSuite, sleep, uniqueName } from './support/runtime-suite.ts';

const test = runtimeSuite('durable runtime');
const runtime = (ctx: { p: TestPersistence; runtimes: WorkflowRuntime[] }, options: { leaseMs?: number; store?: WorkflowStore } = {}) => {
  const r = createWorkflowRuntime({ store: options.store ?? ctx.p.clients.workflows, logger, leaseMs: options.leaseMs ?? 5000, pollIntervalMs: 50 });
  ctx.runtimes.push(r);
  return r;
};

test('a workflow of five steps runs to its output; each step is checkpointed; now and uuid are recorded', async (ctx) => {
  const name = uniqueName('five');
  const r = runtime(ctx);
  r.register(name, async (wf, input: { n: number }) => {
    let total = input.n;
    for (let i = 0; i < 5; i++) total = await wf.step(`add-${i}`, async () => total + i);
    const at = await wf.now();
    const id = await wf.uuid();
    return { total, at: at.toISOString(), id };
  });
  r.run();
  const id = await r.start(name, { n: 10 });
  const done = await withDeadline(r.waitFor(id), 20_000, 'workflow ends');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  const output = JSON.parse(done.outputJson);
  assert.is(output.total, 20);
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => s.name), ['add-0', 'add-1', 'add-2', 'add-3', 'add-4', 'durable.now', 'durable.uuid']);
  assert.is(JSON.parse(steps[6]!.outputJson), output.id);
});

test('after a crash another runtime replays finished steps without running them and reruns the interrupted one with the same key', async (ctx) => {
  const name = uniqueName('crash');
  const runs: Record<string, number> = {};
  const keys: string[] = [];
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  let firstRuntimeInStep2 = false;
  const fn = async (wf: Parameters<Parameters<WorkflowRuntime['register']>[1]>[0]) => {
    const a = await wf.step('one', async () => ((runs.one = (runs.one ?? 0) + 1), 'a'));
    const b = await wf.step('two', async () => ((runs.two = (runs.two ?? 0) + 1), 'b'));
    const c = await wf.step('three', async (run) => {
      runs.three = (runs.three ?? 0) + 1;
      keys.push(run.key);
      if (!firstRuntimeInStep2) {
        firstRuntimeInStep2 = true;
        await blocked; // the first runtime "crashes" here
      }
      return 'c';
    });
    return `${a}${b}${c}`;
  };
  const a = runtime(ctx, { leaseMs: 400 });
  a.register(name, fn);
  a.run();
  const id = await a.start(name, null);
  await withDeadline((async () => { while (!firstRuntimeInStep2) await sleep(10); })(), 10_000, 'first runtime reaches step three');
  a.kill();
  const b = runtime(ctx, { leaseMs: 400 });
  b.register(name, fn);
  b.run();
  const done = await withDeadline(b.waitFor(id), 20_000, 'second runtime finishes');
  release();
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.is(JSON.parse(done.outputJson), 'abc');
  assert.equal(runs, { one: 1, two: 1, three: 2 });
  assert.is(keys[0], keys[1]);
  assert.is(keys[0], `${id}:2`);
  assert.is(done.claimCount, 2);
});

test('a workflow whose code changed under its history fails with NONDETERMINISM', async (ctx) => {
  const name = uniqueName('nondeterminism');
  let reachedSecond = false;
  const a = runtime(ctx, { leaseMs: 300 });
  a.register(name, async (wf) => {
    await wf.step('fetch', async () => 1);
    await wf.step('wait', async () => { reachedSecond = true; await new Promise(() => {}); });
  });
  a.run();
  const id = await a.start(name, null);
  await withDeadline((async () => { while (!reachedSecond) await sleep(10); })(), 10_000, 'first version runs');
  a.kill();
  const b = runtime(ctx, { leaseMs: 300 });
  b.register(name, async (wf) => {
    await wf.step('renamed-fetch', async () => 1);
  });
  b.run();
  const done = await withDeadline(b.waitFor(id), 20_000, 'fails');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_FAILED);
  assert.match(done.error, /NONDETERMINISM/);
  assert.match(done.error, /fetch/);
});

test('step retries follow the policy; non-retryable codes fail at once; attempt timeouts abort', async (ctx) => {
  const name = uniqueName('retries');
  let flaky = 0;
  let hung = 0;
  const r = runtime(ctx);
  r.register(name, async (wf) => {
    const ok = await wf.step('flaky', async () => {
      if (++flaky < 3) throw unavailable('DOWN', 'try again');
      return 'up';
    }, { retry: { maxAttempts: 5, backoff: 'fixed', initialIntervalMs: 10 } });
    const refused = await wf.step('refused', async () => { throw invalidArgument('x', 'bad'); }, { retry: { maxAttempts: 5, initialIntervalMs: 10 } })
      .then(() => 'no', (e: { code: number; reason: string }) => `${e.code}:${e.reason}`);
    const slow = await wf.step('slow', async () => { hung++; await new Promise(() => {}); }, { timeoutMs: 100, retry: { maxAttempts: 2, initialIntervalMs: 10 } })
      .then(() => 'no', (e: { code: number }) => e.code);
    return { ok, refused, slow };
  });
  r.run();
  const id = await r.start(name, null);
  const done = await withDeadline(r.waitFor(id), 20_000, 'ends');
  assert.equal(JSON.parse(done.outputJson), { ok: 'up', refused: `${status.INVALID_ARGUMENT}:INVALID_FIELD`, slow: status.DEADLINE_EXCEEDED });
  assert.is(flaky, 3);
  assert.is(hung, 2);
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => s.attempts), [3, 1, 2]);
  assert.equal(JSON.parse(steps[1]!.errorJson).reason, 'INVALID_FIELD');
});

test('a durable sleep gives the lease back and resumes in another runtime after the timer', async (ctx) => {
  const name = uniqueName('sleep');
  let before = 0;
  const fn = async (wf: Parameters<Parameters<WorkflowRuntime['register']>[1]>[0]) => {
    await wf.step('before', async () => ++before);
    const t0 = await wf.now();
    await wf.sleep(500);
    const t1 = await wf.now();
    return t1.getTime() - t0.getTime();
  };
  const a = runtime(ctx);
  a.register(name, fn);
  a.run();
  const id = await a.start(name, null);
  await withDeadline((async () => {
    for (;;) {
      const { workflow } = await ctx.p.clients.workflows.getWorkflow({ id });
      if (workflow!.status === WorkflowStatus.WORKFLOW_STATUS_PENDING && workflow!.claimCount === 1) return;
      await sleep(20);
    }
  })(), 10_000, 'suspended');
  await a.stop();
  const b = runtime(ctx);
  b.register(name, fn);
  b.run();
  const done = await withDeadline(b.waitFor(id), 20_000, 'resumed');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.ok(JSON.parse(done.outputJson) >= 500);
  assert.is(before, 1);
});

test('cancellation reaches the running step through its signal; clean-up steps still run; status CANCELLED', async (ctx) => {
  const name = uniqueName('cancel');
  let sawAbort = false;
  let cleaned = false;
  let started = false;
  const r = runtime(ctx, { leaseMs: 600 });
  r.register(name, async (wf) => {
    try {
      await wf.step('long', async (run) => {
        started = true;
        await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort = true;
      });
      await wf.step('never', async () => 'no');
    } finally {
      await wf.step('destroy-vm', async () => { cleaned = true; }, { cleanup: true });
    }
  });
  r.run();
  const id = await r.start(name, null);
  await withDeadline((async () => { while (!started) await sleep(10); })(), 10_000, 'step started');
  await ctx.p.clients.workflows.requestWorkflowCancel({ id, reason: 'user asked' });
  const done = await withDeadline(r.waitFor(id), 20_000, 'cancelled');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_CANCELLED);
  assert.ok(sawAbort);
  assert.ok(cleaned);
  const { steps } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.equal(steps.map((s) => s.name), ['destroy-vm']);
});

test('a deadline ends the workflow TIMED_OUT, after its clean-up', async (ctx) => {
  const name = uniqueName('deadline');
  let cleaned = false;
  const r = runtime(ctx);
  r.register(name, async (wf) => {
    try {
      await wf.step('forever', (run) => new Promise<void>((_, reject) => run.signal.addEventListener('abort', () => reject(run.signal.reason), { once: true })));
    } finally {
      await wf.step('cleanup', async () => { cleaned = true; }, { cleanup: true });
    }
  });
  r.run();
  const id = await r.start(name, null, { deadlineAt: new Date(Date.now() + 300) });
  const done = await withDeadline(r.waitFor(id), 20_000, 'timed out');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_TIMED_OUT);
  assert.ok(cleaned);
});

test('a runtime whose lease was taken over cannot checkpoint and stops; the new holder finishes', async (ctx) => {
  const name = uniqueName('fencing');
  let aInStep = false;
  let finishA!: () => void;
  const aMayFinish = new Promise<void>((resolve) => (finishA = resolve));
  // Runtime A's heartbeats are lost (a partition): its lease expires while its step still runs.
  const partitioned: WorkflowStore = { ...ctx.p.clients.workflows, heartbeatWorkflow: async () => { throw unavailable('PARTITION', 'no route'); } };
  const a = runtime(ctx, { leaseMs: 300, store: partitioned });
  a.register(name, async (wf) => wf.step('work', async () => { aInStep = true; await aMayFinish; return 'from A'; }));
  a.run();
  const id = await a.start(name, null);
  await withDeadline((async () => { while (!aInStep) await sleep(10); })(), 10_000, 'A in step');
  const b = runtime(ctx, { leaseMs: 5000 });
  b.register(name, async (wf) => wf.step('work', async () => 'from B'));
  b.run();
  const done = await withDeadline(b.waitFor(id), 20_000, 'B finishes');
  finishA();
  await sleep(200);
  assert.is(JSON.parse(done.outputJson), 'from B');
  const { steps, workflow } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.is(steps.length, 1);
  assert.is(JSON.parse(steps[0]!.outputJson), 'from B');
  assert.is(workflow!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
});

test('a child workflow runs on its own and its output returns to the parent', async (ctx) => {
  const parent = uniqueName('parent');
  const child = uniqueName('child');
  const r = runtime(ctx);
  r.register(child, async (wf, input: { x: number }) => wf.step('double', async () => input.x * 2));
  r.register(parent, async (wf) => (await wf.child<number>(child, { x: 21 })) + 0);
  r.run();
  const id = await r.start(parent, null);
  const done = await withDeadline(r.waitFor(id), 20_000, 'parent ends');
  assert.is(JSON.parse(done.outputJson), 42);
  const { workflows } = await ctx.p.clients.workflows.listWorkflows({ statuses: [], name: child, parentId: id, pageSize: 0, pageToken: '' });
  assert.is(workflows.length, 1);
  assert.is(workflows[0]!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
});

test.run();
