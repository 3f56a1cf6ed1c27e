import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, dropDatabase } from '../../src/embedded/databases.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/embedded/start-embedded-postgres.ts';

/** A fresh, empty database of a test suite. */
export interface TestDatabase {
  /** URL of the new database. */
  url: string;
  /** URL of the server's `postgres` database. */
  adminUrl: string;
  /** Drops the database (and stops the Postgres started for it, if any). */
  drop(): Promise<void>;
}

let ownServer: Promise<{ postgres: EmbeddedPostgres; dataDir: string }> | undefined;

/**
 * Creates an empty database on the test runner's shared Postgres
 * (JOBMESH_TEST_PG_URL), or on an embedded Postgres of this process's own when
 * the file runs alone, so each suite starts from nothing and suites run in parallel.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  let adminUrl: string | undefined = process.env.JOBMESH_TEST_PG_URL;
  let stopOwn = async () => {};
  if (adminUrl === undefined) {
    ownServer ??= (async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-suite-pg-'));
      return { postgres: await startEmbeddedPostgres({ dataDir, fast: true, onLog: () => {} }), dataDir };
    })();
    const { postgres, dataDir } = await ownServer;
    adminUrl = postgres.url;
    stopOwn = async () => {
      await postgres.stop();
      await rm(dataDir, { recursive: true, force: true });
      ownServer = undefined;
    };
  }
  const server: string = adminUrl;
  const name = `t_${randomBytes(8).toString('hex')}`;
  await createDatabase(server, name);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    adminUrl: server,
    async drop() {
      await dropDatabase(server, name);
      await stopOwn();
    },
  };
}
