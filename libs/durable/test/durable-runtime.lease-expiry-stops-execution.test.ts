import { createServer } from 'node:net';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createPersistenceClients } from '@jobmesh/persistence/testing';
import * as assert from 'uvu/assert';
import { createWorkflowRuntime, LeaseLostError, type WorkflowStore } from '../src/index.ts';
import { logger, runtimeSuite, sleep, uniqueName } from './support/runtime-suite.ts';

const test = runtimeSuite('durable runtime: an execution whose lease expired stops before a re-claim runs');

/** A port nothing listens on: calls to it fail with a real UNAVAILABLE (connection refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('heartbeats that cannot get through for a whole lease end the execution; the re-claim never runs beside it', async (ctx) => {
  const name = uniqueName('expiry');
  // While `cutOff` is set, heartbeats go to a persistence address nobody serves (as when persistence
  // or Postgres restarts); every other call still reaches the real persistence.
  const away = createPersistenceClients(`127.0.0.1:${await closedPort()}`).workflows;
  let cutOff = false;
  const store = new Proxy(ctx.p.clients.workflows, {
    get(target, property) {
      const from = cutOff && property === 'heartbeatWorkflow' ? away : target;
      const value = Reflect.get(from, property) as unknown;
      return typeof value === 'function' ? value.bind(from) : value;
    },
  }) as WorkflowStore;

  let executions = 0;
  let inside = 0;
  let mostInside = 0;
  const firstEnded: { how?: string; reason?: unknown } = {};
  // A lease with room for a slow heartbeat on a busy CI host (one every 500 ms).
  const r = createWorkflowRuntime({ store, logger, leaseMs: 1500, pollIntervalMs: 50 });
  ctx.runtimes.push(r);
  r.register(name, async (wf) => {
    const execution = ++executions;
    await wf.step('a', async () => 'a');
    return wf.step('long', async (run) => {
      inside++;
      mostInside = Math.max(mostInside, inside);
      try {
        if (execution === 1) {
          // The first execution's step outlasts the lease while no heartbeat gets through.
          cutOff = true;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 8000);
            run.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
          firstEnded.how = run.signal.aborted ? 'aborted' : 'ran out';
          firstEnded.reason = run.signal.reason;
          cutOff = false;
          // A step that ignores its signal a little longer still must not overlap the next execution.
          await sleep(300);
        }
        return execution;
      } finally {
        inside--;
      }
    });
  });
  r.run();
  const id = await r.start(name, {});
  const done = await withDeadline(r.waitFor(id, { timeoutMs: 30_000, pollMs: 50 }), 35_000, 'the workflow ends');
  assert.is(done.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.is(firstEnded.how, 'aborted', 'the first execution was stopped when its lease expired, not left running');
  assert.ok(firstEnded.reason instanceof LeaseLostError, `stopped as a lost lease (got ${String(firstEnded.reason)})`);
  assert.is(mostInside, 1, 'never two executions of the workflow inside a step at once');
  assert.ok(executions >= 2);
  assert.ok(JSON.parse(done.outputJson) >= 2, 'a later execution ran the step to its end');
  assert.ok(done.claimCount >= 2);
  away.close();
  await r.stop();
});

test('a runtime that stops while a step function ignores its signal returns at once and leaves that lease to expire', async (ctx) => {
  const name = uniqueName('busy-stop');
  let release: () => void = () => undefined;
  let stepStarted = false;
  const r = createWorkflowRuntime({ store: ctx.p.clients.workflows, logger, leaseMs: 1500, pollIntervalMs: 50 });
  ctx.runtimes.push(r);
  r.register(name, async (wf) =>
    wf.step('stubborn', async () => {
      stepStarted = true;
      await new Promise<void>((resolve) => (release = resolve)); // ignores its signal
      return 'late';
    }));
  r.run();
  const id = await r.start(name, {});
  await withDeadline((async () => {
    while (!stepStarted) await sleep(20);
  })(), 10_000, 'step started');
  await withDeadline(r.stop(), 10_000, 'stop does not wait for a step function that ignores its signal');
  const { workflow } = await ctx.p.clients.workflows.getWorkflow({ id });
  assert.is(workflow!.status, WorkflowStatus.WORKFLOW_STATUS_RUNNING, 'not released: another runtime must not take it while the step still runs');
  assert.is(workflow!.leaseOwner, r.owner);
  release();
});

test.run();
