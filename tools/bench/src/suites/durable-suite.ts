import type { WorkflowStore } from '@jobmesh/durable';
import pg from 'pg';
import type { Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { describeError } from '../describe-error.ts';
import { repeatInterleaved, throughput } from '../repeat.ts';
import { fmt } from '../render-table.ts';
import { postgresCpuMs, processCpuMs } from '../process-cpu.ts';
import { percentile } from '../summarize.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { startDbosSide } from './dbos-side.ts';
import { runDirectSqlWorkflow } from './direct-sql-workflow.ts';
import { startBenchRuntime, type BenchRuntime } from './durable-runtime-side.ts';
import { createInProcessWorkflowStore } from './in-process-workflow-store.ts';

const steps = 5;
const concurrency = 16;

/** A jobmesh runtime running the 5-step workflow, its step latencies collected in `latencies`. */
function fiveStepRuntime(store: WorkflowStore, name: string, latencies: { current: number[] }): BenchRuntime {
  return startBenchRuntime({
    store, name, maxConcurrent: concurrency,
    body: async (wf) => {
      for (let i = 0; i < steps; i++) {
        const began = performance.now();
        await wf.step(`step-${i}`, async () => i);
        latencies.current.push(performance.now() - began);
      }
      return null;
    },
  });
}

/**
 * Workflows of 5 no-op steps per second: libs/durable through the persistence service against
 * DBOS Transact on the same Postgres (the issue's baseline), against libs/durable calling
 * persistence's handlers in-process (the cost of the gRPC hop), and against the same rows
 * written with plain SQL (the floor). Sides take turns, repetition by repetition.
 */
export const durableSuite: Suite = {
  name: 'durable',
  async run(ctx) {
    const p = await sharedPersistence(ctx);
    const workflows = ctx.size(100, 20);
    const reps = { warmups: 1, reps: ctx.size(7, 1) };
    const notes: string[] = [];
    const stoppers: (() => Promise<void>)[] = [];
    const sides: Record<string, (index: number) => Promise<number>> = {};
    const latencies: Record<string, number[]> = {};
    // Each side collects its step latencies into `current`; kept repetitions add them to `latencies`.
    const side = (key: string, run: (current: number[]) => Promise<number>) => {
      latencies[key] = [];
      sides[key] = async (index) => {
        const current: number[] = [];
        const perSec = await run(current);
        if (index >= 0) latencies[key]!.push(...current);
        return perSec;
      };
    };
    try {
      ctx.log('  durable: starting libs/durable (gRPC and in-process) and DBOS');
      const grpcLatencies = { current: [] as number[] };
      const viaGrpc = fiveStepRuntime(p.clients.workflows, 'bench/five-steps', grpcLatencies);
      stoppers.push(() => viaGrpc.stop());
      // CPU per workflow of each process on the gRPC side (persistence, Postgres, this process): the capacity model's figures.
      const cpu: Record<string, number[]> = { persistence: [], postgres: [], runtime: [] };
      const cpuNow = () => ({
        persistence: processCpuMs(p.pid)?.own ?? 0,
        postgres: ctx.pgPid ? postgresCpuMs(ctx.pgPid) : 0,
        runtime: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      });
      side('grpc', async (current) => {
        grpcLatencies.current = current;
        const before = cpuNow();
        const perSec = (await viaGrpc.runMany(workflows, concurrency, () => ({}))).opsPerSec;
        const after = cpuNow();
        for (const key of Object.keys(cpu)) cpu[key]!.push((after[key as keyof typeof after] - before[key as keyof typeof before]) / workflows);
        return perSec;
      });

      const dbos = await startDbosSide(steps).catch((error: unknown) => {
        notes.push(`DBOS Transact did not run, so the goal "≥ 2× DBOS workflows/s" is not evaluated in this run: ${describeError(error)}`);
        return undefined;
      });
      if (dbos) {
        stoppers.push(() => dbos.stop());
        side('dbos', async (current) => {
          const run = await dbos.run(workflows, concurrency);
          current.push(...run.stepMs);
          return run.perSec;
        });
      }

      const inProcess = await createInProcessWorkflowStore(p.database.url).catch((error: unknown) => {
        notes.push(`libs/durable in-process did not run: ${describeError(error)}`);
        return undefined;
      });
      if (inProcess) {
        stoppers.push(() => inProcess.close());
        const inProcessLatencies = { current: [] as number[] };
        const runtime = fiveStepRuntime(inProcess.store, 'bench/five-steps-in-process', inProcessLatencies);
        stoppers.push(() => runtime.stop());
        side('inProcess', async (current) => {
          inProcessLatencies.current = current;
          return (await runtime.runMany(workflows, concurrency, () => ({}))).opsPerSec;
        });
      }

      const pool = new pg.Pool({ connectionString: p.database.url, max: concurrency });
      stoppers.push(() => pool.end());
      side('sql', async (current) => (await throughput(workflows, concurrency, () => runDirectSqlWorkflow(pool, steps, (ms) => current.push(ms)))).opsPerSec);

      ctx.log(`  durable: ${reps.warmups} warm-up and ${reps.reps} measured repetitions of ${workflows} workflows per side`);
      const samples = await repeatInterleaved(reps, sides);
      ctx.log('  durable: measured');
      const jobmesh = figure('libs/durable via persistence (gRPC)', 'workflows/s', samples.grpc!, latencies.grpc);
      const comparisons: Comparison[] = [];
      if (dbos) {
        comparisons.push(compare('5-step workflows/s vs DBOS, per-step latency', jobmesh,
          figure(`DBOS Transact ${dbos.version} (in-process, on Postgres)`, 'workflows/s', samples.dbos!, latencies.dbos),
          { op: '>=', value: 2, text: '≥ 2× DBOS workflows/s' }));
      }
      if (inProcess) {
        comparisons.push(compare('cost of the gRPC hop: same runtime, same handlers, in-process', jobmesh,
          figure('libs/durable on persistence\'s handlers in-process', 'workflows/s', samples.inProcess!, latencies.inProcess)));
      }
      comparisons.push(compare('the floor: the same rows with plain SQL', jobmesh, figure('same rows, direct SQL (pg)', 'workflows/s', samples.sql!, latencies.sql)));
      return {
        what: `Workflows of ${steps} no-op steps, ${workflows} per repetition, run by ${concurrency} clients that each start one workflow and wait for its end `
          + `before starting the next (so at most ${concurrency} run at once), all on the bench's Postgres. jobmesh: libs/durable's runtime in the bench process, `
          + `claiming and checkpointing every step through the persistence service (its own process, gRPC); a workflow has ended when its CompleteWorkflow call returned. `
          + `DBOS Transact: the same workflow registered with DBOS.registerWorkflow and DBOS.runStep, started with DBOS.startWorkflow and awaited with getResult, `
          + 'its system database a database of its own on the same server. In-process: the same runtime calling persistence\'s WorkflowStoreService handlers '
          + 'loaded into the bench process (same SQL, same pool size, protobuf encoding kept; no network, no second process). Direct SQL: the rows a workflow leaves '
          + `(create, claim, one step row per step, complete) written with \`pg\` by ${concurrency} workers. Per-step latency: each step call as the workflow body sees it `
          + '(the no-op and its checkpoint); for direct SQL, the step INSERT.',
        comparisons,
        notes: [
          ...notes,
          `Sides take turns (${Object.keys(sides).join(', ')}; warm-up of each first), so the load of the shared machine drifts over all of them alike.`,
          `Every run, workflows/s in order: ${Object.entries(samples).map(([side, values]) => `${side} ${values.map((v) => fmt(v)).join(', ')}`).join('; ')}.`,
          `CPU per workflow on the gRPC side (median of the runs, warm-up included): ${Object.entries(cpu).map(([name, values]) => `${name} ${fmt(percentile(values, 50))} ms`).join(', ')} `
            + `(${steps} checkpoints and a workflow row each).`,
          'Round trips of one 5-step workflow: DBOS runs it in the process that starts it and writes straight to Postgres (the workflow row, one row per '
            + 'step, the end: 7 statements). jobmesh (issue 20) starts and claims in one CreateWorkflow, checkpoints steps 1 to 4 with RecordWorkflowStep '
            + '(group-committed across workflows) and writes step 5 with CompleteWorkflow, one statement: 6 calls to persistence, each a second process '
            + 'and then Postgres (it was 8: create, claim, 5 checkpoints, a completion of 4 statements).',
          ...(comparisons.some((c) => c.goal && !c.met) ? [
            'Goal missed. Tried, with what it gave in scratch A/B runs on this machine: the round trips above (fewer calls and statements per workflow); '
              + 'group commit at 2 statements in flight instead of 4 (Postgres CPU per workflow 4.2 -> 3.3 ms, 5 to 10 % more workflows/s); no OpenTelemetry '
              + 'SDK or gRPC instrumentation in persistence without an exporter; an ended execution claims only when work was left waiting. CPU per '
              + 'workflow at 16 concurrent is then about 2.5 ms in persistence, 3.3 ms in Postgres and 2 ms in the runtime: the rest of each workflow\'s '
              + 'time is waiting for the other processes on 2 shared cores (two processes per call where DBOS has one). What would change that: the '
              + 'runtime writing checkpoints to Postgres itself (no persistence hop; not this architecture), or more than one step per checkpoint.',
          ] : []),
        ],
      };
    } finally {
      ctx.log('  durable: stopping');
      for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => ctx.log(`  durable: clean-up: ${describeError(error)}`));
    }
  },
};
