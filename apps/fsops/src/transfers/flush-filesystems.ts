import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { MeshError, status } from '@jobmesh/grpc-kit';

/** `sync -f` cannot run here (no shell, no `sync`, a `sync` without `-f`): fsyncs do the work instead. */
class SyncUnavailableError extends Error {}

/** What a `sync` that does not know `-f` says (coreutils before 8.24, old busybox). */
const unsupportedOption = /(invalid|unrecognized|unknown|illegal) option|usage:/i;
// Decided once: a `sync` that lacks -f will not grow it while we run.
let syncUnavailable = false;

/**
 * Makes everything written so far on the filesystems holding `paths` durable
 * (data, inodes, renames): one `sync -f` (syncfs(2), coreutils) per call, a
 * single journal commit per filesystem instead of one fsync per file. Where
 * `sync -f` cannot run (no shell, no `sync`, a `sync` without `-f`), it fsyncs
 * `everyPath` instead: every file and directory that must be durable, so pass
 * the files too, not only their directories. A `sync -f` that ran and failed is
 * never papered over with fsyncs: an fsync of a freshly opened file does not
 * report a write-back error that happened before it was opened, so the data may
 * be lost while every fsync succeeds.
 * @throws MeshError DATA_LOSS `FLUSH_FAILED` when `sync -f` reports a failure (a write-back error: syncfs returns it since Linux 5.8); the fsyncs' own error when falling back
 */
export async function flushFilesystems(paths: readonly string[], everyPath: readonly string[] = paths): Promise<void> {
  const byDevice = new Map<number, string>();
  for (const path of new Set(paths)) {
    const { dev } = await stat(path);
    if (!byDevice.has(dev)) byDevice.set(dev, path);
  }
  if (byDevice.size === 0) return;
  if (!syncUnavailable) {
    try {
      return await runSync([...byDevice.values()]);
    } catch (error) {
      if (!(error instanceof SyncUnavailableError)) throw error;
      syncUnavailable = true;
    }
  }
  await fsyncAll([...new Set(everyPath)]);
}

/** The error of a `sync -f` that ran: unavailable when it does not know -f, else a failed flush. */
function syncFailure(path: string, stderr: string, cause?: unknown): Error {
  const text = stderr.trim() || 'no message';
  if (unsupportedOption.test(text)) return new SyncUnavailableError(`sync -f is not supported here: ${text}`, { cause });
  return new MeshError(status.DATA_LOSS, 'FLUSH_FAILED', `making the files on the filesystem of ${path} durable failed (sync -f: ${text}); what was written there may not be on disk`, { cause });
}

/** fsyncs `paths` (files or directories) concurrently, so the filesystem can commit them together. */
export async function fsyncAll(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map(async (path) => {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }));
}

/**
 * A long-lived `sh` that runs `sync -f` for each path line it reads and
 * answers 0 or 1: forking this (large) process for every flush costs far more
 * CPU than the flush; the shell forks only the small `sync`.
 */
interface SyncHelper {
  child: ChildProcess;
  /** Each gets '' (done), the failure text, or an Error when the helper itself is gone. */
  waiting: Array<(answer: string | Error) => void>;
}
let helper: SyncHelper | undefined;
// Answers `0`, or `1 <what sync said, on one line>`.
const helperScript = 'while IFS= read -r p; do if e=$(sync -f -- "$p" 2>&1); then echo 0; else printf \'1 %s\\n\' "$(printf %s "$e" | tr \'\\n\' \' \')"; fi; done';

function startHelper(): SyncHelper {
  const child = spawn('sh', ['-c', helperScript], { stdio: ['pipe', 'pipe', 'ignore'] });
  const started: SyncHelper = { child, waiting: [] };
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (data: string) => {
    text += data;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      started.waiting.shift()?.(line === '0' ? '' : line.replace(/^1 ?/, '') || 'sync -f failed');
    }
  });
  const gone = (error: Error) => {
    if (helper === started) helper = undefined;
    for (const settle of started.waiting.splice(0)) settle(error);
  };
  child.on('error', gone);
  child.on('exit', () => gone(new Error('the sync helper exited')));
  child.stdin!.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  return started;
}

async function runSync(paths: string[]): Promise<void> {
  if (paths.some((path) => path.includes('\n'))) return runSyncOnce(paths);
  for (const path of paths) {
    helper ??= startHelper();
    const current = helper;
    // Referenced while an answer is awaited, so a pending flush keeps the process alive; idle, it never does.
    current.child.ref();
    const answer = await new Promise<string | Error>((resolve) => {
      current.waiting.push(resolve);
      current.child.stdin!.write(`${path}\n`);
    }).finally(() => { if (current.waiting.length === 0) current.child.unref(); });
    if (answer instanceof Error) return runSyncOnce(paths);
    if (answer) throw syncFailure(path, answer);
  }
}

function runSyncOnce(paths: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', '--', ...paths], { timeout: 0 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      // A missing `sync` binary is ENOENT (string code); a failed syncfs is a non-zero exit (numeric code).
      if (typeof (error as NodeJS.ErrnoException).code === 'string') return reject(new SyncUnavailableError(`sync cannot run: ${error.message}`, { cause: error }));
      reject(syncFailure(paths.join(', '), stderr || error.message, error));
    });
  });
}
