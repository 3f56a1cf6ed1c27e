/** One small file to copy: `source` to the new name `temp`. */
export interface SmallCopyJob {
  kind: 'copy';
  source: string;
  temp: string;
  /** The file is copied whole only below this size; a larger (or grown) one is left to the caller. */
  maxBytes: number;
}

/** One rename (a temporary name to its final name). */
export interface RenameJob {
  kind: 'rename';
  from: string;
  to: string;
}

export type WorkerJob = SmallCopyJob | RenameJob;

/** What became of a job: copied (hash and size), renamed, too big (nothing written), or an fs error. */
export type WorkerOutcome =
  | { sha256: string; sizeBytes: number }
  | { renamed: true }
  | { tooBig: true }
  | { error: { message: string; code?: string; errno?: number; syscall?: string; path?: string } };

/**
 * The body of a worker thread that copies small files and renames with
 * blocking calls: each call is one syscall, with none of the per-call cost of
 * the threadpool and promises, which dominates for small files. A copy is
 * open, fstat, one read, hash, exclusive create of the temporary name, one
 * write, chmod, close. Runs as an eval'd CommonJS script (see workerSource),
 * so it needs no module loading (nor the loader hooks telemetry registers).
 */
function workerMain(): void {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const fs = require('node:fs') as typeof import('node:fs');
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { O_RDONLY, O_NOFOLLOW, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
  let buffer = Buffer.allocUnsafe(64 * 1024);
  const copy = (job: SmallCopyJob): WorkerOutcome => {
    const input = fs.openSync(job.source, O_RDONLY | O_NOFOLLOW);
    try {
      const stats = fs.fstatSync(input);
      if (!stats.isFile() || stats.size >= job.maxBytes) return { tooBig: true };
      if (stats.size + 1 > buffer.length) buffer = Buffer.allocUnsafe(stats.size + 1);
      const bytesRead = fs.readSync(input, buffer, 0, stats.size + 1, 0);
      // More than fstat said: the file grew meanwhile; the caller copies it the careful way.
      if (bytesRead > stats.size) return { tooBig: true };
      const content = buffer.subarray(0, bytesRead);
      const output = fs.openSync(job.temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, stats.mode & 0o7777);
      try {
        for (let written = 0; written < content.length;) written += fs.writeSync(output, content, written, content.length - written);
        fs.fchmodSync(output, stats.mode & 0o7777);
      } finally {
        fs.closeSync(output);
      }
      return { sha256: createHash('sha256').update(content).digest('hex'), sizeBytes: bytesRead };
    } finally {
      fs.closeSync(input);
    }
  };
  const run = (job: WorkerJob): WorkerOutcome => {
    try {
      if (job.kind === 'rename') {
        fs.renameSync(job.from, job.to);
        return { renamed: true };
      }
      return copy(job);
    } catch (caught) {
      const error = caught as NodeJS.ErrnoException;
      return { error: { message: error.message, code: error.code, errno: error.errno, syscall: error.syscall, path: error.path } };
    }
  };
  parentPort!.on('message', ({ jobs }: { jobs: WorkerJob[] }) => parentPort!.postMessage({ outcomes: jobs.map(run) }));
}

/** Source of the worker (CommonJS, for `new Worker(workerSource, { eval: true })`); type stripping left plain JavaScript. */
export const workerSource = `(${workerMain.toString()})();`;
