import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import { lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { copyFileToTemp } from './copy-file-atomic.ts';
import { createCopyPipeline } from './copy-pipeline.ts';
import { hashFile } from './hash-file.ts';
import { linkFileAtomic, reflinkFileAtomic } from './link-file-atomic.ts';
import { manifestSha256 } from '@jobmesh/artifacts';
import type { SidecarFile, SidecarResult, TransferSidecar } from './sidecar-store.ts';
import { removeStaleTemps } from './temp-names.ts';

/** What executeTransfer works with. */
export interface ExecuteContext {
  /** The running sidecar, with its plan (files, directories) and modeUsed set. */
  sidecar: TransferSidecar;
  /** What the caller named as source (removed by moves; a link itself, not its target). */
  sourcePath: string;
  destination: string;
  /** Persists the sidecar; called after each file, so a resume can skip it. */
  save(): Promise<void>;
  tag: string;
  chunkBytes: number;
  chunkDelayMs: number;
  onProgress(bytesDone: number, filesDone: number): void;
}

/** Least time between two sidecar saves during the file loop, in ms. */
const saveEveryMs = 100;
/** Copies in flight at once (many small files gain from overlapping their syscalls). */
const copyConcurrency = 64;
/** Longest a finished copy waits for its batch to be committed, in ms. */
const commitEveryMs = 2000;
const exists = (path: string) => lstat(path).then(() => true, () => false);

/**
 * Carries out a planned transfer, resuming where a crashed attempt stopped:
 * files the sidecar marks done are verified (size and SHA-256 of the
 * destination) and skipped, temporaries of the crashed attempt removed. A move
 * on one filesystem renames (the whole tree at once when it holds no followed
 * symlinks); across filesystems it copies, verifies and only then deletes the source.
 * @returns the result to record and return
 */
export async function executeTransfer(ctx: ExecuteContext): Promise<SidecarResult> {
  const { sidecar } = ctx;
  const files = sidecar.files ?? [];
  const mode = sidecar.modeUsed ?? TransferMode.TRANSFER_MODE_COPY;
  // Without checksums a link or rename never reads the file, so its cost does not grow with size.
  const checksums = sidecar.request.skipChecksums !== true;
  let bytesDone = 0;
  let filesDone = 0;
  let filesSkipped = 0;
  let lastSaveAt = 0;
  const fileDone = (file: SidecarFile) => {
    filesDone++;
    ctx.onProgress(bytesDone, filesDone);
    return file;
  };

  if (mode === TransferMode.TRANSFER_MODE_MOVE && !sidecar.renamed && !sidecar.selection && files.every((f) => !f.sha256)
    && !(await exists(ctx.sourcePath)) && await exists(ctx.destination)) {
    // A crash hit between the whole-tree rename and saving the sidecar: the rename happened.
    sidecar.renamed = true;
  }
  const directories = sidecar.isTree ? (sidecar.directories ?? []).map((d) => join(ctx.destination, d)) : [dirname(ctx.destination)];
  const sameDevice = mode === TransferMode.TRANSFER_MODE_MOVE && (sidecar.renamed || await isSameDevice(ctx.sourcePath, ctx.destination));
  const plainTree = files.every((f) => f.source === (sidecar.isTree ? join(ctx.sourcePath, f.path) : ctx.sourcePath));
  if (sameDevice && plainTree && !sidecar.renamed && !sidecar.selection) {
    // One rename moves the whole tree atomically, whatever its size.
    if (await exists(ctx.sourcePath)) {
      await mkdir(dirname(ctx.destination), { recursive: true });
      await rename(ctx.sourcePath, ctx.destination);
    }
    sidecar.renamed = true;
    await ctx.save();
  }
  for (const directory of directories) {
    await mkdir(directory, { recursive: true });
    await removeStaleTemps(directory, ctx.tag);
  }

  // Copies run concurrently and are committed (made durable, renamed) in batches; files done counts committed ones.
  const pipeline = createCopyPipeline<SidecarFile>({
    // The test throttle stands for a slow disk: one file at a time, each committed on its own, so a test can stop between files.
    concurrency: ctx.chunkDelayMs > 0 ? 1 : copyConcurrency,
    commitEveryMs: ctx.chunkDelayMs > 0 ? 0 : commitEveryMs,
    copy: async (file) => {
      let counted = 0;
      const onBytes = (n: number) => {
        const add = Math.min(n, file.sizeBytes - counted);
        counted += add;
        bytesDone += add;
        ctx.onProgress(bytesDone, filesDone);
      };
      const copied = await copyFileToTemp(file.source, file.destination, { chunkBytes: ctx.chunkBytes, chunkDelayMs: ctx.chunkDelayMs, tag: ctx.tag, onBytes, sizeHint: file.sizeBytes });
      if (mode === TransferMode.TRANSFER_MODE_MOVE && (await hashFile(copied.temp)).sha256 !== copied.sha256) {
        await rm(copied.temp, { force: true });
        throw failedPrecondition('VERIFY_FAILED', `${file.path}: the copy does not match the source; the source is kept`);
      }
      bytesDone += file.sizeBytes - counted;
      ctx.onProgress(bytesDone, filesDone);
      return copied;
    },
    committed: async (batch) => {
      for (const { file, copied } of batch) {
        file.sha256 = copied.sha256;
        fileDone(file);
      }
      await ctx.save();
      lastSaveAt = Date.now();
    },
  });
  try {
    for (const file of interleaveByDirectory(files)) {
      if (sidecar.renamed || (file.sha256 && await verifies(file))) {
        if (sidecar.renamed) file.sha256 = checksums ? (await hashFile(file.destination)).sha256 : '';
        else filesSkipped++;
        bytesDone += file.sizeBytes;
        fileDone(file);
        continue;
      }
      if (mode === TransferMode.TRANSFER_MODE_HARDLINK) {
        await linkFileAtomic(file.source, file.destination, ctx.tag);
      } else if (mode === TransferMode.TRANSFER_MODE_REFLINK) {
        await reflinkFileAtomic(file.source, file.destination, ctx.tag);
      } else if (mode === TransferMode.TRANSFER_MODE_MOVE && sameDevice && file.source === fileSourceName(ctx, file)) {
        // A rename is atomic: a missing source with a present destination means a crashed attempt already moved it.
        if (await exists(file.source) || !(await exists(file.destination))) await rename(file.source, file.destination);
      } else {
        await pipeline.add(file);
        continue;
      }
      // Links and renames wrote no bytes to hash on the way: read what lies under the final name.
      if (checksums) file.sha256 = (await hashFile(file.destination)).sha256;
      bytesDone += file.sizeBytes;
      fileDone(file);
      // Saving after every file would rewrite the whole sidecar n times (n² for many small files); a file done
      // since the last save is only written again after a crash, which is correct, just slower.
      if (Date.now() - lastSaveAt >= saveEveryMs) {
        await ctx.save();
        lastSaveAt = Date.now();
      }
    }
    await pipeline.finish();
  } catch (error) {
    // Lets the copies in flight settle and removes their temporaries before the failure is reported.
    await pipeline.finish().catch(() => undefined);
    throw error;
  }

  if (mode === TransferMode.TRANSFER_MODE_MOVE && !sidecar.renamed) {
    // Only now, with every copy verified, does the source go: a selection loses only its files, never the tree around them.
    if (sidecar.selection) for (const file of files) await rm(fileSourceName(ctx, file), { force: true });
    else await rm(ctx.sourcePath, { recursive: true, force: true });
    for (const file of files) file.sourceRemoved = true;
    await ctx.save();
  }
  const digests = files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, sha256: f.sha256 ?? '', mode: f.mode & 0o7777 }));
  return { files: digests, manifestSha256: manifestSha256(digests), modeUsed: mode, bytesTotal: bytesDone, filesSkipped };
}

/**
 * The files, taking one of each directory in turn: concurrent copies then
 * mostly create files in different directories (creations in one directory
 * take turns on its lock). The result keeps the plan's order.
 */
export function interleaveByDirectory<T extends { path: string }>(files: readonly T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const file of files) {
    const key = dirname(file.path);
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  if (groups.size <= 1) return [...files];
  const lists = [...groups.values()];
  const ordered: T[] = [];
  for (let i = 0; ordered.length < files.length; i++) for (const list of lists) if (i < list.length) ordered.push(list[i]!);
  return ordered;
}

/** The name under the source tree a planned file was found at (differs from file.source for a followed symlink). */
function fileSourceName(ctx: ExecuteContext, file: SidecarFile): string {
  return ctx.sidecar.isTree ? join(ctx.sourcePath, file.path) : ctx.sourcePath;
}

async function verifies(file: SidecarFile): Promise<boolean> {
  const stats = await stat(file.destination).catch(() => undefined);
  if (!stats?.isFile() || stats.size !== file.sizeBytes) return false;
  return (await hashFile(file.destination)).sha256 === file.sha256;
}

async function isSameDevice(source: string, destination: string): Promise<boolean> {
  const sourceStats = await lstat(source).catch(() => undefined);
  if (!sourceStats) return false;
  let current = dirname(destination);
  for (;;) {
    const stats = await stat(current).catch(() => undefined);
    if (stats) return stats.dev === sourceStats.dev;
    current = dirname(current);
  }
}
