import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readMigrations } from '../src/db/run-migrations.ts';
import { createTestDatabase } from './support/create-test-database.ts';
import { spawnPersistence } from './support/spawn-persistence.ts';

const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url));

const query = async <R extends pg.QueryResultRow>(url: string, text: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
};

test('three persistence processes started at once on an empty database all serve; each migration is applied once', async () => {
  const database = await createTestDatabase();
  try {
    const env = { DATABASE_URL: database.url, JOBMESH_MIGRATIONS_DIR: migrationsDir };
    const processes = [spawnPersistence(env), spawnPersistence(env), spawnPersistence(env)];
    const ports = await withDeadline(Promise.all(processes.map((p) => p.serving)), 60_000, 'three replicas serving');
    assert.is(new Set(ports).size, 3);
    const applied = await query<{ version: number; n: string }>(database.url, 'SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
    const files = await readMigrations(migrationsDir);
    assert.equal(applied.map((r) => [r.version, Number(r.n)]), files.map((f) => [f.version, 1]));
    const logs = processes.map((p) => p.output()).join('\n');
    assert.is(logs.split('"migration applied"').length - 1, files.length, 'each migration applied by exactly one replica');
    for (const p of processes) p.child.kill('SIGTERM');
    const codes = await withDeadline(Promise.all(processes.map((p) => p.exited)), 20_000, 'graceful exit');
    assert.equal(codes, [0, 0, 0]);
  } finally {
    await database.drop();
  }
});

test('start-up stops with a clear error naming an applied migration whose file changed', async () => {
  const database = await createTestDatabase();
  const changedDir = await mkdtemp(join(tmpdir(), 'jobmesh-migrations-'));
  try {
    const first = spawnPersistence({ DATABASE_URL: database.url, JOBMESH_MIGRATIONS_DIR: migrationsDir });
    await withDeadline(first.serving, 60_000, 'first start');
    first.child.kill('SIGTERM');
    await first.exited;
    await cp(migrationsDir, changedDir, { recursive: true });
    await appendFile(join(changedDir, '0001_initial.sql'), '\n-- edited after release\n');
    const second = spawnPersistence({ DATABASE_URL: database.url, JOBMESH_MIGRATIONS_DIR: changedDir });
    const code = await withDeadline(second.exited, 30_000, 'refused start');
    assert.is(code, 1);
    assert.match(second.output(), /migration 0001_initial\.sql was already applied with checksum/);
  } finally {
    await rm(changedDir, { recursive: true, force: true });
    await database.drop();
  }
});

test.run();
