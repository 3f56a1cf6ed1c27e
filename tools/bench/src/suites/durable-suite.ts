import { createWorkflowRuntime, type WorkflowStore } from '@jobmesh/durable';
import { createLogger } from '@jobmesh/logger';
import pg from 'pg';
import type { Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { repeat, throughput } from '../repeat.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { runDirectSqlWorkflow } from './direct-sql-workflow.ts';

const steps = 5;
const concurrency = 16;

/** The store with RecordWorkflowStep timed: per-step checkpoint latency as the runtime sees it. */
function timedStore(store: WorkflowStore, onCheckpoint: (ms: number) => void): WorkflowStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'recordWorkflowStep' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const began = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          onCheckpoint(performance.now() - began);
        }
      };
    },
  });
}

/**
 * Workflows of 5 no-op steps per second on libs/durable through the persistence service,
 * against the same rows written straight to the same database with `pg` (no gRPC hop, no
 * runtime). DBOS Transact, the baseline the issue names, was not installed: see notes.
 */
export const durableSuite: Suite = {
  name: 'durable',
  async run(ctx) {
    const p = await sharedPersistence(ctx);
    let checkpoints: number[] = [];
    const runtime = createWorkflowRuntime({
      store: timedStore(p.clients.workflows, (ms) => checkpoints.push(ms)),
      logger: createLogger('bench-durable', { level: 'error' }),
      pollIntervalMs: 20,
      maxConcurrent: concurrency,
    });
    runtime.register('bench/five-steps', async (wf) => {
      for (let i = 0; i < steps; i++) await wf.step(`step-${i}`, async () => i);
      return null;
    });
    runtime.run();
    ctx.onEnd(() => runtime.stop());
    const workflows = ctx.size(100, 20);
    const reps = { warmups: 1, reps: ctx.size(3, 1) };
    let meshCheckpoints: number[] = [];
    const viaRuntime = await repeat(reps, async () => {
      checkpoints = [];
      const run = await throughput(workflows, workflows, async () => {
        const id = await runtime.start('bench/five-steps', {});
        runtime.wake();
        await runtime.waitFor(id, { timeoutMs: 300_000, pollMs: 10 });
      });
      meshCheckpoints = checkpoints;
      return run.opsPerSec;
    });
    const pool = new pg.Pool({ connectionString: p.database.url, max: concurrency });
    ctx.onEnd(() => pool.end());
    let sqlCheckpoints: number[] = [];
    const direct = await repeat(reps, async () => {
      sqlCheckpoints = [];
      return (await throughput(workflows, concurrency, () => runDirectSqlWorkflow(pool, steps, (ms) => sqlCheckpoints.push(ms)))).opsPerSec;
    });
    return {
      what: `Workflows of ${steps} no-op steps, ${workflows} per repetition, at most ${concurrency} running at once: libs/durable's runtime in the bench process `
        + 'checkpointing every step through the persistence service (its own process, gRPC), against the same rows (create, claim, one step row per step, '
        + `complete) written straight to the same database with \`pg\` by ${concurrency} workers. Checkpoint latency: RecordWorkflowStep as the runtime sees it vs one step INSERT.`,
      comparisons: [compare('5-step workflows/s, per-step checkpoint latency', figure('libs/durable via persistence', 'workflows/s', viaRuntime, meshCheckpoints), figure('same rows, direct SQL (pg)', 'workflows/s', direct, sqlCheckpoints))],
      notes: [
        'Goal "≥ 2× DBOS workflows/s" not evaluated: `@dbos-inc/dbos-sdk` was not installed in this time box (it needs a root devDependency and a lock change), '
          + 'so the baseline is the direct-SQL floor of the same workflow instead. The runtime also polls for claimable work (every 20 ms here) and keeps leases and fencing tokens, which the floor skips.',
      ],
    };
  },
};
