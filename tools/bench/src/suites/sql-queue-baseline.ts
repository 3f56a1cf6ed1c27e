import pg from 'pg';
import { throughput } from '../repeat.ts';

/**
 * A minimal Postgres job queue, the pattern graphile-worker uses (insert, claim with
 * FOR UPDATE SKIP LOCKED, delete on completion), driven in-process with `pg`: the cheapest
 * a durable "unit of work" can be on this server. Each job is enqueued then worked by
 * `concurrency` workers on their own connections.
 * @returns jobs enqueued and completed per second, and enqueue→start latencies in ms
 */
export async function sqlQueueJobsPerSec(databaseUrl: string, jobs: number, concurrency: number): Promise<{ jobsPerSec: number; latenciesMs: number[] }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency + 1 });
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS bench_queue (id bigserial PRIMARY KEY, payload jsonb NOT NULL, enqueued_at double precision NOT NULL)');
    await pool.query('TRUNCATE bench_queue');
    const latenciesMs: number[] = [];
    const began = performance.now();
    let enqueued = 0;
    let done = 0;
    const producer = throughput(jobs, 1, async (i) => {
      await pool.query('INSERT INTO bench_queue (payload, enqueued_at) VALUES ($1, $2)', [{ i }, performance.timeOrigin + performance.now()]);
      enqueued++;
    });
    const workers = Array.from({ length: concurrency }, async () => {
      while (done < jobs) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query<{ id: string; enqueued_at: number }>('SELECT id, enqueued_at FROM bench_queue ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1');
          if (rows[0]) {
            latenciesMs.push(performance.timeOrigin + performance.now() - rows[0].enqueued_at);
            await client.query('DELETE FROM bench_queue WHERE id = $1', [rows[0].id]);
            done++;
          }
          await client.query('COMMIT');
          if (!rows[0] && enqueued < jobs) await new Promise((resolve) => setTimeout(resolve, 2));
          if (!rows[0] && enqueued >= jobs && done < jobs) await new Promise((resolve) => setTimeout(resolve, 2));
        } finally {
          client.release();
        }
      }
    });
    await Promise.all([producer, ...workers]);
    return { jobsPerSec: jobs / ((performance.now() - began) / 1000), latenciesMs };
  } finally {
    await pool.end();
  }
}
