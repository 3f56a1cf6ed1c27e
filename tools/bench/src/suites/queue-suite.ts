import type { BenchContext, Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { describeError } from '../describe-error.ts';
import { repeatInterleaved } from '../repeat.ts';
import { createPersistenceClients } from '@jobmesh/persistence/testing';
import { sharedPersistence } from '../shared-persistence.ts';
import { percentile } from '../summarize.ts';
import { startGraphileQueueSide } from './graphile-queue-side.ts';
import { startJobmeshQueueSide } from './jobmesh-queue-side.ts';
import { SuiteSkipped } from '../suite-skipped.ts';

const concurrency = 16;
const producers = 16;
/** Sizes of a burst (jobs) and of the one-at-a-time run. */
const sizes = (ctx: BenchContext) => ({ burst: ctx.size(1_000, 200), single: ctx.size(100, 20), reps: { warmups: 1, reps: ctx.size(5, 1) } });

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
    // The outside producer: a client of its own (its own connection), as another process would have.
    const producer = createPersistenceClients(p.address);
    const jobmesh = startJobmeshQueueSide(p.clients.workflows, producer.workflows, concurrency);
    try {
      const latencies: Record<string, number[]> = { jobmeshBurst: [], graphileBurst: [], jobmeshSingle: [], graphileSingle: [], jobmeshOutside: [], graphileOutside: [] };
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
        jobmeshOutside: async (i) => {
          const run = await jobmesh.oneByOneFromOutside(single);
          if (i >= 0) latencies.jobmeshOutside!.push(...run);
          return median(run);
        },
        graphileOutside: async (i) => {
          const run = await graphile.oneByOneFromOutside(single);
          if (i >= 0) latencies.graphileOutside!.push(...run);
          return median(run);
        },
      });
      const graphileBurst = figure(`graphile-worker ${graphile.version}, ${concurrency} workers`, 'jobs/s', samples.graphileBurst!, latencies.graphileBurst);
      const comparisons: Comparison[] = [
        compare(`no-op jobs enqueued and completed per second (${burst} jobs, ${producers} producers, ${concurrency} workers; latency enqueue→start)`,
          figure(`jobmesh workflow queue via persistence, ${concurrency} workers`, 'jobs/s', samples.jobmeshBurst!, latencies.jobmeshBurst), graphileBurst,
          { op: '>=', value: 1, text: 'burst ≥ 1× graphile-worker' }),
        compare(`enqueue→start latency, one job at a time, producer in the worker's process (${single} jobs; median per repetition, lower is better)`,
          figure('jobmesh workflow queue (runtime.start)', 'ms', samples.jobmeshSingle!, latencies.jobmeshSingle),
          figure(`graphile-worker ${graphile.version}`, 'ms', samples.graphileSingle!, latencies.graphileSingle),
          { op: '<=', value: 1.5, text: 'enqueue→start ≤ 1.5× graphile-worker' }),
        compare(`enqueue→start latency, one job at a time, producer in another process (${single} jobs; median per repetition, lower is better)`,
          figure('jobmesh workflow queue (CreateWorkflow from another client)', 'ms', samples.jobmeshOutside!, latencies.jobmeshOutside),
          figure(`graphile-worker ${graphile.version} (addJob: NOTIFY)`, 'ms', samples.graphileOutside!, latencies.graphileOutside),
          { op: '<=', value: 1.5, text: 'enqueue→start ≤ 1.5× graphile-worker, also when the producer is another process' }),
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
          'jobmesh\'s runtime runs with its default poll interval (250 ms). In the burst and the first one-at-a-time figure it is its own producer: '
            + 'runtime.start() creates and claims in one CreateWorkflow when it has a free slot (else the workflow waits, PENDING). In the last figure '
            + 'the producer is another client of persistence: persistence NOTIFYs `jobmesh_workflow` when the workflow is committed, and the runtime\'s '
            + 'WatchClaimableWorkflows stream makes it claim at once (before issue 20 it waited for its next poll). graphile-worker wakes its workers '
            + 'through LISTEN/NOTIFY, whichever process added the job.',
          'A no-op job costs jobmesh 2 calls to persistence when it is claimed as it is created (CreateWorkflow claimed, CompleteWorkflow carrying the '
            + 'step), 3 when it waited (CreateWorkflow, ClaimWorkflows shared by the jobs claimed together, CompleteWorkflow); it was 4 to 5 (create, '
            + 'claim, checkpoint, completion in 4 statements, and a claim after every end). graphile-worker: add_job, get_job, complete_job, each one '
            + 'statement from the worker\'s process.',
          ...(comparisons[2]?.met === false ? [
            'Another-process goal missed: after the producer\'s commit, Postgres notifies persistence, persistence streams a hint to the runtime, '
              + 'the runtime calls ClaimWorkflows and persistence claims in Postgres: two hops more than graphile-worker\'s NOTIFY to the worker '
              + 'and its query. Before issue 20 the runtime waited for its poll (250 ms). Not tried: a claim that waits in persistence (ClaimWorkflows '
              + 'with a wait, answered when the NOTIFY comes), one hop less; it needs care not to lose a claim whose answer is cancelled.',
          ] : []),
          ...(comparisons[0]?.met === false ? [
            'Burst goal missed. Every job crosses a second process (persistence) twice where graphile-worker\'s worker talks to Postgres itself; on 2 '
              + 'shared cores the burst is bound by CPU per job across the bench process, persistence and Postgres. Tried: the fewer calls above, group '
              + 'commit of 2 statements, no OpenTelemetry SDK in persistence. Not tried: a "complete and claim the next" call (CompleteWorkflow returning '
              + 'newly claimed workflows), which would save the claim of a waiting job.',
          ] : []),
        ],
      };
    } finally {
      for (const client of Object.values(producer)) client.close();
      await jobmesh.stop().catch((error: unknown) => ctx.log(`  queue: clean-up: ${describeError(error)}`));
      await graphile.stop();
    }
  },
};
