import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A running embedded Postgres, owned by its launcher process. */
export type EmbeddedPostgres = {
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres:postgres@127.0.0.2:PORT/postgres`. */
  url: string;
  port: number;
  /** Pid of the launcher process (not of Postgres). */
  pid: number;
  /** Pid of the postmaster, for tests that check it is gone. */
  postgresPid: number;
  /** Asks the launcher to stop Postgres cleanly (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
  /** SIGKILLs the launcher to simulate a crash: Postgres keeps running as an orphan until the next start on the same directory. */
  kill(): void;
  /** Resolves with the launcher's exit code (`null` when a signal ended it). */
  exited: Promise<number | null>;
};

/** Options of {@link startEmbeddedPostgres}. */
export type StartEmbeddedPostgresOptions = {
  /** Directory that holds the cluster (`DIR/pg`); created and initialised on first use, kept afterwards. */
  dataDir: string;
  /** Fixed port; by default a free port on 127.0.0.2. */
  port?: number;
  /** fsync, synchronous_commit and full_page_writes off: for tests, where an OS crash may lose data. */
  fast?: boolean;
  /** How long initdb plus start-up may take. @default 60000 */
  readyTimeoutMs?: number;
  /** Receives each line of the launcher's log (Postgres' own log included). @default written to stderr with an `[embedded-postgres]` prefix */
  onLog?: (line: string) => void;
};

const launcherScript = fileURLToPath(new URL('./embedded-postgres-process.ts', import.meta.url));
const stopTimeoutMs = 40_000; // the launcher itself escalates after 20 s + 5 s + 5 s
const stderrTailLines = 40;

/**
 * Starts Postgres in a launcher process of its own (embedded-postgres must never be loaded
 * into a service or test process: its exit hook calls `process.exit`). The launcher holds
 * our end of a stdin pipe, so it stops Postgres when this process dies, even by SIGKILL.
 *
 * Rejects with the launcher's last stderr lines when it exits before Postgres is ready or
 * when `readyTimeoutMs` passes (the launcher is then stopped).
 */
export function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const args = [launcherScript, '--data-dir', options.dataDir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.fast) args.push('--fast');
  // process.execPath, not `node` on PATH: the system Node is too old and npx adds a process.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const log = options.onLog ?? ((line: string) => process.stderr.write(`[embedded-postgres] ${line}\n`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  // Writes to a launcher that died would raise EPIPE as an uncaught error here.
  child.stdin.on('error', () => undefined);

  createInterface({ input: child.stderr }).on('line', (line) => {
    tail.push(line);
    if (tail.length > stderrTailLines) tail.shift();
    log(line);
  });

  const ready = new Promise<{ port: number; url: string; pid: number }>((resolve) => {
    let seen = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (seen) {
        log(line);
        return;
      }
      try {
        const message = JSON.parse(line) as { ready?: boolean; port: number; url: string; pid: number };
        if (message.ready === true) {
          seen = true;
          resolve(message);
          return;
        }
      } catch {
        // not the ready line: show it like stderr
      }
      log(line);
    });
  });

  const failure = (reason: string) => new Error(`embedded Postgres (${options.dataDir}) ${reason}${tail.length ? `:\n${tail.join('\n')}` : ''}`);
  const exitedEarly = exited.then(async (code) => {
    // Let the last stderr lines arrive before quoting them (capped: an orphan could hold the pipe).
    await Promise.race([once(child.stderr, 'close'), new Promise((resolve) => setTimeout(resolve, 500))]);
    throw failure(`launcher exited with code ${code} before it was ready`);
  });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure(`was not ready within ${timeoutMs} ms`)), timeoutMs);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };

  return Promise.race([ready, exitedEarly, timedOut, spawnFailed]).then(
    (message) => {
      clearTimeout(timer);
      exitedEarly.catch(() => undefined); // a later exit is reported through `exited`, not here
      return {
        url: message.url,
        port: message.port,
        pid: child.pid as number,
        postgresPid: message.pid,
        stop,
        kill: () => {
          child.kill('SIGKILL');
        },
        exited,
      };
    },
    async (error: unknown) => {
      clearTimeout(timer);
      exitedEarly.catch(() => undefined);
      await stop();
      throw error;
    },
  );
}
