import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@jobmesh/persistence/embedded';
import type { TestDatabase } from '@jobmesh/persistence/testing';

/** An embedded Postgres of the drill's own, which it can stop and start again on the same port. */
export interface OwnPostgres {
  database: TestDatabase;
  /** Stops Postgres cleanly, waits `downMs`, starts it again on the same port and data. */
  restart(downMs: number): Promise<void>;
  /** How many times it was restarted. */
  restarts(): number;
}

/**
 * Starts a Postgres under a fresh temp folder with one database for the mesh. Its
 * `database.drop()` stops Postgres and removes the folder (startTestMesh calls it at stop).
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-drill-pg-'));
  const quiet = { dataDir, fast: true, onLog: () => {} };
  let postgres: EmbeddedPostgres = await startEmbeddedPostgres(quiet);
  const port = postgres.port;
  let restarts = 0;
  return {
    database: {
      // The server is ours alone, so the mesh uses its `postgres` database as it is.
      url: postgres.url,
      adminUrl: postgres.url,
      async drop() {
        await postgres.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    },
    async restart(downMs) {
      await postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      postgres = await startEmbeddedPostgres({ ...quiet, port });
      restarts++;
    },
    restarts: () => restarts,
  };
}
