import type { BenchContext, Comparison, Figure, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { describeError } from '../describe-error.ts';
import { repeatInterleaved } from '../repeat.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { percentile } from '../summarize.ts';
import { startGraphileQueueSide } from './graphile-queue-side.ts';
import { startJobmeshQueueSide } from './jobmesh-queue-side.ts';
import { SuiteSkipped } from '../suite-skipped.ts';

const concurrency = 16;
const producers = 16;
const pollIntervalMs = 20;
/** Where the queue suite leaves graphile-worker's jobs/s for the mesh suite of the same run. */
export const graphileFigureKey = 'queue:graphile-jobs-per-sec';

/** Sizes of a burst (jobs) and of the one-at-a-time run. */
const sizes = (ctx: BenchContext) => ({ burst: ctx.size(1_000, 200), single: ctx.size(100, 20), reps: { warmups: 1, reps: ctx.size(3, 1) } });

/**
 * graphile-worker's jobs/s in a burst, as the queue suite measures it; measured now (on its own)
 * when the queue suite has not run in this invocation.
 */
export async function graphileJobsPerSec(ctx: BenchContext): Promise<Figure> {
  const shared = ctx.shared.get(graphileFigureKey) as Figure | undefined;
  if (shared) return shared;
  const { burst, reps } = sizes(ctx);
  const graphile = await startGraphileQueueSide(concurrency);
  try {
    const latencies: number[] = [];
    const samples = await repeatInterleaved(reps, {
      graphile: async (i) => {
        const run = await graphile.burst(burst, producers);
        if (i >= 0) latencies.push(...run.latenciesMs);
        return run.perSec;
      },
    });
    const result = figure(`graphile-worker ${graphile.version}, ${concurrency} workers`, 'jobs/s', samples.graphile!, latencies);
    ctx.shared.set(graphileFigureKey, result);
    return result;
  } finally {
    await graphile.stop();
  }
}

/**
 * No-op jobs through jobmesh's queue (a one-step workflow started with runtime.start and
 * claimed by the runtime's worker through persistence) against graphile-worker on the same
 * Postgres with the same number of workers: jobs/s in a burst, and enqueue→start latency in the
 * burst and one job at a time.
 */
export const queueSuite: Suite = {
  name: 'queue',
  async run(ctx) {
    const p = await sharedPersistence(ctx);
    const { burst, single, reps } = sizes(ctx);
    const graphile = await startGraphileQueueSide(concurrency).catch((error: unknown) => {
      throw new SuiteSkipped(`graphile-worker could not start: ${describeError(error)}`);
    });
    const jobmesh = startJobmeshQueueSide(p.clients.workflows, concurrency, pollIntervalMs);
    try {
      const latencies: Record<string, number[]> = { jobmeshBurst: [], graphileBurst: [], jobmeshSingle: [], graphileSingle: [] };
      const median = (values: number[]) => percentile(values, 50);
      ctx.log(`  queue: ${reps.warmups} warm-up and ${reps.reps} measured repetitions: bursts of ${burst} jobs, then ${single} jobs one at a time, each side in turn`);
      const samples = await repeatInterleaved(reps, {
        jobmeshBurst: async (i) => {
          const run = await jobmesh.burst(burst, producers);
          if (i >= 0) latencies.jobmeshBurst!.push(...run.latenciesMs);
          return run.perSec;
        },
        graphileBurst: async (i) => {
          const run = await graphile.burst(burst, producers);
          if (i >= 0) latencies.graphileBurst!.push(...run.latenciesMs);
          return run.perSec;
        },
        jobmeshSingle: async (i) => {
          const run = await jobmesh.oneByOne(single);
          if (i >= 0) latencies.jobmeshSingle!.push(...run);
          return median(run);
        },
        graphileSingle: async (i) => {
          const run = await graphile.oneByOne(single);
          if (i >= 0) latencies.graphileSingle!.push(...run);
          return median(run);
        },
      });
      const graphileBurst = figure(`graphile-worker ${graphile.version}, ${concurrency} workers`, 'jobs/s', samples.graphileBurst!, latencies.graphileBurst);
      ctx.shared.set(graphileFigureKey, graphileBurst);
      const comparisons: Comparison[] = [
        compare(`no-op jobs enqueued and completed per second (${burst} jobs, ${producers} producers, ${concurrency} workers; latency enqueue→start)`,
          figure(`jobmesh workflow queue via persistence, ${concurrency} workers`, 'jobs/s', samples.jobmeshBurst!, latencies.jobmeshBurst), graphileBurst),
        compare(`enqueue→start latency, one job at a time (${single} jobs; median per repetition, lower is better)`,
          figure('jobmesh workflow queue', 'ms', samples.jobmeshSingle!, latencies.jobmeshSingle),
          figure(`graphile-worker ${graphile.version}`, 'ms', samples.graphileSingle!, latencies.graphileSingle)),
      ];
      return {
        what: `No-op jobs through a durable Postgres queue, ${concurrency} workers on each side, on the bench's Postgres. jobmesh: a workflow of one no-op step `
          + 'started with runtime.start() (CreateWorkflow through the persistence service, its own process) and claimed by the same runtime\'s worker loop '
          + '(ClaimWorkflows, then GetWorkflow, RecordWorkflowStep, CompleteWorkflow: all gRPC); started = the first line of the workflow body, '
          + `completed = CompleteWorkflow returned. graphile-worker ${graphile.version}: WorkerUtils.addJob, \`run()\` with concurrency ${concurrency} `
          + `(pool of ${concurrency}), on a database of its own on the same server; started = the task function's first line, completed = the job row deleted. `
          + `Burst: ${burst} jobs from ${producers} concurrent producers, timed from the first enqueue to the last completion (its latencies include waiting `
          + `behind earlier jobs). One at a time: each job enqueued after the previous one completed.`,
        comparisons,
        notes: [
          'Sides take turns, repetition by repetition, so the shared machine\'s load drifts over both alike.',
          `jobmesh's runtime is both producer and worker here: runtime.start() wakes its own claim loop in-process (a producer in another process would `
            + `wait for the next poll: every ${pollIntervalMs} ms here, 250 ms by default); a wake-up that lands while a claim is in flight makes the loop claim again at once. `
            + 'graphile-worker wakes its workers through LISTEN/NOTIFY, whichever process added the job.',
        ],
      };
    } finally {
      await jobmesh.stop().catch((error: unknown) => ctx.log(`  queue: clean-up: ${describeError(error)}`));
      await graphile.stop();
    }
  },
};
