import { createPersistenceClients, createTestDatabase, spawnPersistence, type PersistenceClients, type TestDatabase } from '@jobmesh/persistence/testing';
import type { BenchContext } from './bench-types.ts';
import { shareOnce } from './share-once.ts';

/** The persistence service as its own process, on a database of the bench's Postgres. */
export interface BenchPersistence {
  address: string;
  database: TestDatabase;
  clients: PersistenceClients;
  pid: number;
}

const key = 'persistence';

/**
 * Starts persistence once per run (migrations applied on a fresh database) and shares it
 * between suites; stopped at the end of the run. A separate process, as in production, so
 * the bench's own client work does not share its event loop.
 */
export async function sharedPersistence(ctx: BenchContext): Promise<BenchPersistence> {
  return shareOnce(ctx, key, async () => {
    const database = await createTestDatabase();
    const service = spawnPersistence({ DATABASE_URL: database.url, JOBMESH_LOG_LEVEL: 'info' /* spawnService waits for the info line "<name> serving" */, JOBMESH_SHUTDOWN_GRACE_MS: '2000' });
    const port = await service.serving;
    const address = `127.0.0.1:${port}`;
    const clients = createPersistenceClients(address);
    ctx.onEnd(async () => {
      for (const client of Object.values(clients)) client.close();
      service.child.kill('SIGTERM');
      await service.exited;
      await database.drop();
    });
    return { address, database, clients, pid: service.child.pid! };
  });
}
