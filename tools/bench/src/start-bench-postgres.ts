import { startEmbeddedPostgres, type EmbeddedPostgres } from '@jobmesh/persistence/embedded';
import pg from 'pg';

/** The bench's own Postgres and what it is. */
export interface BenchPostgres {
  server: EmbeddedPostgres;
  /** `SELECT version()`, shortened to `PostgreSQL 18.x`. */
  version: string;
}

/**
 * Starts one embedded Postgres for the whole run, so every suite and every baseline
 * talks to the same server. The full run keeps fsync on (durability is what is being
 * bought); quick mode turns it off, as the tests do, since only the figures' presence matters.
 */
export async function startBenchPostgres(dataDir: string, quick: boolean): Promise<BenchPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, fast: quick, onLog: () => {} });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    const full = rows[0]?.version ?? 'unknown';
    return { server, version: /^PostgreSQL [\d.]+/.exec(full)?.[0] ?? full };
  } finally {
    await client.end();
  }
}
