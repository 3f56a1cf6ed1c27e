import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDatabase, dropDatabase } from '../src/embedded/databases.ts';
import { startEmbeddedPostgres } from '../src/embedded/start-embedded-postgres.ts';
import type { EmbeddedPostgres, StartEmbeddedPostgresOptions } from '../src/embedded/start-embedded-postgres.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`needs Node 24 or newer, got ${process.versions.node}: run with npx node\n`);
  process.exit(1);
}

const startDeadlineMs = 60_000;
const queryDeadlineMs = 10_000;
const stopDeadlineMs = 45_000;

let root = '';
const handles: EmbeddedPostgres[] = [];
const postgresPids = new Set<number>();
const launcherLog: string[] = [];

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Zombie-aware: PID 1 on these machines may never reap orphans, so kill(pid, 0) would say alive. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function start(options: StartEmbeddedPostgresOptions): Promise<{ db: EmbeddedPostgres; ms: number }> {
  const began = performance.now();
  const db = await withDeadline(
    startEmbeddedPostgres({ fast: true, onLog: (line) => launcherLog.push(line), ...options }),
    startDeadlineMs,
    `start on ${options.dataDir}`,
  );
  handles.push(db);
  postgresPids.add(db.postgresPid);
  return { db, ms: Math.round(performance.now() - began) };
}

async function stop(db: EmbeddedPostgres): Promise<number | null> {
  await withDeadline(db.stop(), stopDeadlineMs, 'stop');
  return withDeadline(db.exited, stopDeadlineMs, 'launcher exit');
}

async function query<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await withDeadline(client.connect(), queryDeadlineMs, `connect ${url}`);
    return (await withDeadline(client.query<R>(text, values), queryDeadlineMs, text)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

test.before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'jobmesh-embedded-pg-'));
  // mkdtemp makes 0700; as root, Postgres runs as the postgres user, which must pass through here.
  await chmod(root, 0o711);
});

test.after(async () => {
  for (const db of handles) await withDeadline(db.stop(), stopDeadlineMs, 'stop in after').catch(() => undefined);
  // A failed test can leave an orphan behind a killed launcher: stop it like the launcher would.
  for (const pid of postgresPids) {
    if (!isAlive(pid)) continue;
    process.kill(pid, 'SIGINT');
    await waitFor(() => !isAlive(pid), 20_000, `orphan ${pid} exit`).catch(() => process.kill(pid, 'SIGKILL'));
  }
  if (root) await rm(root, { recursive: true, force: true });
});

test('data survives a clean stop and a restart on the same directory', async () => {
  const dataDir = path.join(root, 'clean-restart');
  const first = await start({ dataDir });
  const url = databaseUrl(first.db.url, 'survivor');
  await withDeadline(createDatabase(first.db.url, 'survivor'), queryDeadlineMs, 'create database');
  await query(url, 'CREATE TABLE jobs (id text PRIMARY KEY, note text NOT NULL)');
  await query(url, 'INSERT INTO jobs VALUES ($1, $2)', ['job-1', 'written before the stop']);
  assert.is(await stop(first.db), 0, 'launcher exits 0 on SIGTERM');
  assert.not.ok(isAlive(first.db.postgresPid), 'postgres stopped with its launcher');
  assert.not.ok(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'clean shutdown removes postmaster.pid');

  const second = await start({ dataDir });
  const rows = await query<{ id: string; note: string }>(databaseUrl(second.db.url, 'survivor'), 'SELECT id, note FROM jobs');
  assert.equal(rows, [{ id: 'job-1', note: 'written before the stop' }]);
  const refused = await createDatabase(second.db.url, 'Bad-Name').then(() => undefined, (error: Error) => error);
  assert.match(refused?.message ?? 'no error', /invalid database name/);
  await withDeadline(dropDatabase(second.db.url, 'survivor'), queryDeadlineMs, 'drop database');
  const left = await query(second.db.url, `SELECT 1 FROM pg_database WHERE datname = 'survivor'`);
  assert.is(left.length, 0, 'database dropped');
  assert.is(await stop(second.db), 0);
  console.log(`  timings: initdb+start ${first.ms} ms, restart ${second.ms} ms (fast mode, launcher included)`);
});

test('after a launcher crash (SIGKILL) the orphaned Postgres is stopped by the next start', async () => {
  const dataDir = path.join(root, 'crash');
  const first = await start({ dataDir });
  await query(first.db.url, 'CREATE TABLE jobs (id text PRIMARY KEY)');
  await query(first.db.url, `INSERT INTO jobs VALUES ('before-crash')`);
  const orphan = first.db.postgresPid;

  first.db.kill();
  assert.is(await withDeadline(first.db.exited, stopDeadlineMs, 'killed launcher exit'), null, 'launcher ended by a signal');
  // Why the next start must clean up: nothing stops Postgres when its launcher is SIGKILLed.
  assert.ok(isAlive(orphan), 'postgres outlives a SIGKILLed launcher');
  await query(first.db.url, `INSERT INTO jobs VALUES ('written-to-orphan')`);

  const second = await start({ dataDir });
  assert.not.ok(isAlive(orphan), 'the orphan was stopped before the new start');
  assert.ok(launcherLog.some((line) => line.includes(`stopping orphaned postgres pid ${orphan}`)), 'launcher reported the orphan');
  const rows = await query<{ id: string }>(second.db.url, 'SELECT id FROM jobs ORDER BY id');
  // The orphan got a fast shutdown, not SIGKILL: even its last write (synchronous_commit=off) survives.
  assert.equal(rows.map((row) => row.id), ['before-crash', 'written-to-orphan']);
  assert.is(await stop(second.db), 0);
  console.log(`  timings: start after crash (orphan stopped first) ${second.ms} ms`);
});

test('when the parent process dies, its launcher sees stdin close and stops Postgres', async () => {
  const dataDir = path.join(root, 'parent-death');
  const module = new URL('../src/embedded/start-embedded-postgres.ts', import.meta.url).href;
  const parentCode = [
    `import { startEmbeddedPostgres } from ${JSON.stringify(module)};`,
    `const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, fast: true, onLog: () => {} });`,
    `console.log(JSON.stringify({ launcher: db.pid, postgres: db.postgresPid, url: db.url }));`,
    `setInterval(() => {}, 1000);`,
  ].join('\n');
  const parent = spawn(process.execPath, ['--input-type=module', '-e', parentCode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let parentStderr = '';
  parent.stderr.on('data', (chunk: Buffer) => (parentStderr += chunk.toString()));
  const parentExited = new Promise((resolve) => parent.once('exit', resolve));
  try {
    const firstLine = new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`parent exited with ${code}: ${parentStderr}`)));
    });
    const started = JSON.parse(await withDeadline(firstLine, startDeadlineMs, 'parent start')) as { launcher: number; postgres: number; url: string };
    postgresPids.add(started.postgres);
    assert.equal(await query(started.url, 'SELECT 1 AS one'), [{ one: 1 }]);

    parent.kill('SIGKILL');
    await withDeadline(parentExited, stopDeadlineMs, 'parent exit');
    await waitFor(() => !isAlive(started.postgres), 20_000, 'postgres stops after its parent died');
    await waitFor(() => !isAlive(started.launcher), 5_000, 'launcher exits after stopping postgres');
    assert.not.ok(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'clean shutdown, not an orphan');
    assert.not.ok(existsSync(path.join(dataDir, 'launcher.pid')), 'launcher released its lock');
  } finally {
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
  }
});

test.run();
