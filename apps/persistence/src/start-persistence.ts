import type { Logger } from '@jobmesh/logger';
import type { PersistenceConfig } from './config.ts';
import { createDatabasePool } from './db/create-database-pool.ts';
import { createNotificationHub } from './db/create-notification-hub.ts';
import { runMigrations } from './db/run-migrations.ts';
import { startEmbeddedPostgres } from './embedded/start-embedded-postgres.ts';
import { createPersistenceServer } from './server.ts';

/** A running persistence service. */
export interface RunningPersistence {
  /** Port the gRPC server listens on. */
  port: number;
  /** The Postgres URL in use. */
  databaseUrl: string;
  /** Drains calls, closes the pool and stops the embedded Postgres if one was started. */
  stop(): Promise<void>;
}

/**
 * Starts persistence from its configuration: embedded Postgres when no
 * DATABASE_URL is given, migrations under the advisory lock, the pool, the
 * notification hub, then the gRPC server, marked SERVING last.
 */
export async function startPersistence(config: PersistenceConfig, logger: Logger): Promise<RunningPersistence> {
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPostgresPort,
        onLog: (line) => logger.debug('postgres', { line }),
      });
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  try {
    const applied = await runMigrations(databaseUrl, config.migrationsDir, logger);
    logger.info('schema ready', { applied: applied.length, embedded: embedded !== undefined });
    const pool = await createDatabasePool(databaseUrl, { maximumPoolSize: config.poolSize, statementTimeoutMs: config.statementTimeoutMs });
    const notifications = createNotificationHub(databaseUrl, logger);
    const server = createPersistenceServer({ pool, notifications, logger, tls: config.tls });
    const port = await server.listen(config.address);
    server.setServing(true);
    return {
      port,
      databaseUrl,
      async stop() {
        await server.shutdown(config.shutdownGraceMs);
        await notifications.close();
        await pool.end();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
