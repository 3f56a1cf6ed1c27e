import type { WorkflowStore } from '@jobmesh/durable';
import { throughput } from '../repeat.ts';
import { startBenchRuntime } from './durable-runtime-side.ts';
import { createJobClock, type QueueSide } from './queue-side.ts';

/**
 * jobmesh's queue: a workflow of one no-op step started with runtime.start() (CreateWorkflow
 * through persistence) and claimed by the runtime's worker loop (ClaimWorkflows), at most
 * `concurrency` at once; or created by `producer` (another client of persistence) behind the
 * runtime's back. A job has started when the first line of the workflow body runs and
 * is complete when CompleteWorkflow returned.
 */
export function startJobmeshQueueSide(store: WorkflowStore, producer: WorkflowStore, concurrency: number, pollIntervalMs?: number): QueueSide {
  const clock = createJobClock();
  const bench = startBenchRuntime({
    store, name: 'bench/queue-noop', maxConcurrent: concurrency, ...(pollIntervalMs ? { pollIntervalMs } : {}),
    body: async (wf, input) => {
      clock.started((input as { i: number }).i);
      await wf.step('noop', async () => null);
      return null;
    },
  });
  return {
    async burst(count, producers) {
      const from = clock.issued;
      const ends: Promise<void>[] = [];
      const began = performance.now();
      await throughput(count, producers, async () => {
        const { ended } = await bench.enqueue({ i: clock.enqueue() });
        ends.push(ended);
      });
      await Promise.all(ends);
      const perSec = count / ((performance.now() - began) / 1000);
      return { perSec, latenciesMs: clock.latencies(from, from + count) };
    },
    async oneByOne(count) {
      const from = clock.issued;
      for (let n = 0; n < count; n++) await bench.startAndWait({ i: clock.enqueue() });
      return clock.latencies(from, from + count);
    },
    async oneByOneFromOutside(count) {
      const from = clock.issued;
      for (let n = 0; n < count; n++) await (await bench.enqueueFromOutside({ i: clock.enqueue() }, producer)).ended;
      return clock.latencies(from, from + count);
    },
    stop: () => bench.stop(),
  };
}
