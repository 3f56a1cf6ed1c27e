import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { open, stat } from 'node:fs/promises';

/**
 * Makes everything written so far on the filesystems holding `paths` durable
 * (data, inodes, renames): one `sync -f` (syncfs(2), coreutils) per call, a
 * single journal commit per filesystem instead of one fsync per file. Where
 * `sync -f` cannot run or fails (no shell, no `sync`, a `sync` without `-f`),
 * it fsyncs `everyPath` instead: every file and directory that must be durable,
 * so pass the files too, not only their directories.
 * @throws when a filesystem reports a write-back error (syncfs returns it since Linux 5.8; fsync too)
 */
export async function flushFilesystems(paths: readonly string[], everyPath: readonly string[] = paths): Promise<void> {
  const byDevice = new Map<number, string>();
  for (const path of new Set(paths)) {
    const { dev } = await stat(path);
    if (!byDevice.has(dev)) byDevice.set(dev, path);
  }
  if (byDevice.size === 0) return;
  try {
    await runSync([...byDevice.values()]);
  } catch {
    await fsyncAll([...new Set(everyPath)]);
  }
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
  waiting: Array<(ok: boolean | Error) => void>;
}
let helper: SyncHelper | undefined;
const helperScript = 'while IFS= read -r p; do if sync -f -- "$p"; then echo 0; else echo 1; fi; done';

function startHelper(): SyncHelper {
  const child = spawn('sh', ['-c', helperScript], { stdio: ['pipe', 'pipe', 'ignore'] });
  const started: SyncHelper = { child, waiting: [] };
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (data: string) => {
    text += data;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      started.waiting.shift()?.(line === '0');
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
    const answer = await new Promise<boolean | Error>((resolve) => {
      current.waiting.push(resolve);
      current.child.stdin!.write(`${path}\n`);
    }).finally(() => { if (current.waiting.length === 0) current.child.unref(); });
    if (answer instanceof Error) return runSyncOnce(paths);
    if (!answer) throw new Error(`sync -f ${path} failed`);
  }
}

function runSyncOnce(paths: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', '--', ...paths], { timeout: 0 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      // A missing `sync` binary is ENOENT (string code); a failed syncfs is a non-zero exit (numeric code).
      if (typeof (error as NodeJS.ErrnoException).code === 'string') return reject(error);
      reject(new Error(`sync -f failed: ${stderr.trim() || error.message}`, { cause: error }));
    });
  });
}
