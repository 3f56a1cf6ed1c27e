import { createTestDatabase } from '@jobmesh/persistence/testing';
import pg from 'pg';
import { packageVersion } from '../package-version.ts';
import { throughput } from '../repeat.ts';
import { createJobClock, type QueueSide } from './queue-side.ts';

/**
 * graphile-worker on a database of its own on the bench's Postgres: jobs added with
 * WorkerUtils.addJob (its own pool), run by `run()` with `concurrency` workers (LISTEN/NOTIFY
 * wakes them; a pool of `concurrency` connections, as graphile-worker advises). A job has
 * started when its task function's first line runs and is complete when its row is gone.
 * @throws Error when graphile-worker cannot be loaded or migrated
 */
export async function startGraphileQueueSide(concurrency: number): Promise<QueueSide & { version: string }> {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
  const database = await createTestDatabase();
  const logger = new Logger(() => () => undefined);
  const stoppers: (() => unknown)[] = [() => database.drop()];
  const stop = async () => {
    for (const s of stoppers.reverse()) await Promise.resolve().then(s).catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    // One pool of ours for both, with an error handler: the forced DROP DATABASE at the end
    // terminates its idle connections, which is expected and must not crash the bench.
    const pool = new pg.Pool({ connectionString: database.url, max: concurrency + 2 });
    pool.on('error', () => undefined);
    stoppers.push(() => pool.end());
    const utils = await makeWorkerUtils({ pgPool: pool, logger });
    stoppers.push(() => utils.release());
    await utils.migrate();
    const clock = createJobClock();
    let ran = 0;
    let onRan: (() => void) | undefined;
    const runner = await run({
      pgPool: pool, concurrency, noHandleSignals: true, logger, crontab: '',
      taskList: {
        noop: async (payload) => {
          clock.started((payload as { i: number }).i);
        },
      },
    });
    stoppers.push(() => runner.stop());
    runner.events.on('job:complete', () => {
      ran++;
      onRan?.();
    });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    stoppers.push(() => db.end());
    /** Waits until `target` tasks have run in total, then until no job row is left (completion is written after the task returns). */
    const drained = async (target: number) => {
      if (ran < target) await new Promise<void>((resolve) => (onRan = () => ran >= target && resolve()));
      onRan = undefined;
      for (;;) {
        const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM graphile_worker._private_jobs');
        if (rows[0]!.n === '0') return;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const side: QueueSide & { version: string } = {
      version: packageVersion('graphile-worker'),
      async burst(count, producers) {
        const from = clock.issued;
        const target = ran + count;
        const began = performance.now();
        await throughput(count, producers, () => utils.addJob('noop', { i: clock.enqueue() }));
        await drained(target);
        const perSec = count / ((performance.now() - began) / 1000);
        return { perSec, latenciesMs: clock.latencies(from, from + count) };
      },
      // addJob goes through its own pool and NOTIFY: the workers hear of it as they would from another process.
      oneByOneFromOutside: (count) => side.oneByOne(count),
      async oneByOne(count) {
        const from = clock.issued;
        for (let n = 0; n < count; n++) {
          const target = ran + 1;
          await utils.addJob('noop', { i: clock.enqueue() });
          await drained(target);
        }
        return clock.latencies(from, from + count);
      },
      stop,
    };
    return side;
  } catch (error) {
    await stop();
    throw error;
  }
}
