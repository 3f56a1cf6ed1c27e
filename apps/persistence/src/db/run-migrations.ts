import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@jobmesh/logger';
import pg from 'pg';

/** Advisory lock key shared by every persistence replica ("jobmesh" in ASCII). */
const migrationLockKey = 0x6a6f626d657368n;

/** One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Raised when an applied migration's file changed since it was applied. */
export class MigrationChecksumError extends Error {
  constructor(migration: Migration, appliedChecksum: string) {
    super(
      `migration ${migration.name} was already applied with checksum ${appliedChecksum}, ` +
        `but the file now has ${migration.checksum}: applied migrations must never change; add a new file instead`,
    );
    this.name = 'MigrationChecksumError';
  }
}

/** Reads `NNNN_slug.sql` files of a directory, in version order. */
export async function readMigrations(directory: string): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)).sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const sql = await readFile(join(directory, name), 'utf8');
    migrations.push({ version: Number(name.slice(0, 4)), name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/**
 * Applies the migrations not yet applied, each in its own transaction, under a
 * session advisory lock, so replicas booting together apply each exactly once
 * (the others wait, then find it applied). Refuses to start when an applied
 * migration's file changed.
 * @returns names of the migrations this call applied
 * @throws MigrationChecksumError
 */
export async function runMigrations(databaseUrl: string, directory: string, logger: Logger): Promise<string[]> {
  const migrations = await readMigrations(directory);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const migration of migrations) {
      const checksum = done.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw new MigrationChecksumError(migration, checksum);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [migration.version, migration.name, migration.checksum]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(migration.name);
      logger.info('migration applied', { migration: migration.name });
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey.toString()]).catch(() => undefined);
    await client.end();
  }
  return applied;
}
