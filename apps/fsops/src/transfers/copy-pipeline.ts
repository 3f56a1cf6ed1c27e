import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CopiedTemp } from './copy-file-atomic.ts';
import { flushFilesystems, fsyncAll } from './flush-filesystems.ts';
import { smallCopyPool } from './small-copy-pool.ts';

/** A file copied to its temporary name, waiting for its batch to be committed. */
export interface CopiedFile<F extends { destination: string }> {
  file: F;
  copied: CopiedTemp;
}

/** How a pipeline copies and commits. */
export interface CopyPipelineOptions<F extends { destination: string }> {
  /** Copies in flight at once. */
  concurrency: number;
  /**
   * A batch is committed once its oldest copy waited this long (0: every copy on its own), and
   * always at the end. Bounds the work a crash loses and how long files done lag behind.
   */
  commitEveryMs: number;
  /** Copies one file to a temporary name next to its destination. */
  copy(file: F): Promise<CopiedTemp>;
  /** Called once a batch lies durably under its final names (e.g. to save the sidecar); commits run one at a time. */
  committed(batch: CopiedFile<F>[]): Promise<void>;
}

/** Copies files concurrently and commits them in batches. */
export interface CopyPipeline<F extends { destination: string }> {
  /** Starts copying `file`; waits while `concurrency` copies are in flight. @throws the first failure of an earlier copy or commit */
  add(file: F): Promise<void>;
  /** Waits for every copy and commits the rest. @throws the first failure */
  finish(): Promise<void>;
}

/** Batches above this many files are flushed with one syncfs per filesystem instead of one fsync per file. */
const fsyncEachUpTo = 8;
/** Directories of a batch fsynced one by one (concurrently) up to this many, else one syncfs per filesystem. */
const fsyncDirectoriesUpTo = 128;

/**
 * Makes a batch of temporary copies durable, then renames them to their final
 * names and makes the renames durable, so a file under its final name is
 * always whole, also after a power loss. Flushing a batch at once lets the
 * filesystem commit it in one go, where an fsync per file would wait for one
 * journal commit each.
 */
export async function commitCopies(batch: readonly CopiedFile<{ destination: string }>[]): Promise<void> {
  if (batch.length === 0) return;
  const temps = batch.map((b) => b.copied.temp);
  const directories = [...new Set(batch.map((b) => dirname(b.file.destination)))];
  await (temps.length <= fsyncEachUpTo ? fsyncAll(temps) : flushFilesystems(directories, temps));
  // Many renames go through the worker threads (blocking calls, no per-call promise and threadpool cost).
  await Promise.all(batch.map((b) => (batch.length > fsyncEachUpTo ? smallCopyPool().rename(b.copied.temp, b.file.destination) : rename(b.copied.temp, b.file.destination))));
  // The renames only touch directories: fsyncing those (together, so they share journal commits) waits for
  // nothing else, where a second syncfs would also wait for whatever else the filesystem holds dirty.
  await (directories.length <= fsyncDirectoriesUpTo ? fsyncAll(directories) : flushFilesystems(directories));
}

/**
 * Creates a pipeline: up to `concurrency` copies in flight (small files
 * cost syscalls and latency more than bandwidth, so they gain from
 * overlapping), each finished copy joining the open batch; a batch is
 * committed (commitCopies, then `committed`) when it is old enough, and at
 * the end. After a failure no new copy starts; the temporaries of copies not
 * committed are removed.
 */
export function createCopyPipeline<F extends { destination: string }>(options: CopyPipelineOptions<F>): CopyPipeline<F> {
  const inFlight = new Set<Promise<void>>();
  let batch: CopiedFile<F>[] = [];
  let batchSince = 0;
  let commits: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => { failure ??= { error }; };
  const commitBatch = () => {
    const taken = batch;
    batch = [];
    commits = commits.then(async () => {
      if (failure) return discard(taken);
      try {
        await commitCopies(taken);
        await options.committed(taken);
      } catch (error) {
        fail(error);
        await discard(taken);
      }
    });
    return commits;
  };
  return {
    async add(file) {
      while (inFlight.size >= Math.max(1, options.concurrency) && !failure) await Promise.race(inFlight);
      if (failure) throw failure.error;
      const work: Promise<void> = options.copy(file).then(async (copied) => {
        if (failure) return discard([{ file, copied }]);
        if (batch.length === 0) batchSince = Date.now();
        batch.push({ file, copied });
        if (Date.now() - batchSince >= options.commitEveryMs) await commitBatch();
      }, fail).finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
    async finish() {
      while (inFlight.size > 0) await Promise.race(inFlight);
      await commitBatch();
      if (failure) throw failure.error;
    },
  };
}

async function discard(batch: readonly CopiedFile<{ destination: string }>[]): Promise<void> {
  await Promise.all(batch.map((b) => rm(b.copied.temp, { force: true }).catch(() => undefined)));
}
