import { createHash } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { copyFile, lstat, open, rm, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsyncAll } from './flush-filesystems.ts';
import { smallCopyPool } from './small-copy-pool.ts';
import { tempPathFor } from './temp-names.ts';

/** How copies read and write. */
export interface CopyOptions {
  /** Bytes per read (hashing, and the write of the fallback copy). */
  chunkBytes: number;
  /** Sleep after each chunk (test-only throttle). @default 0 */
  chunkDelayMs?: number;
  /** Tag of the transfer, in the temporary name. */
  tag: string;
  /** Called with the bytes of each chunk hashed. */
  onBytes?: (bytes: number) => void;
}

/** A copy written under a temporary name next to its destination, not yet fsynced nor renamed. */
export interface CopiedTemp {
  temp: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Copies `source` to a temporary name in the destination's directory with
 * the kernel's copy (FICLONE where the filesystem can, else copy_file_range),
 * while hashing the source (read from the page cache) in parallel. When the
 * source changed during the copy (inode, size, mtime or ctime differ), the
 * temporary copy is discarded and the copy made again through Node, hashing
 * exactly the bytes written. The caller makes the temporary durable and
 * renames it (see commitCopies), so a crash never leaves a partial file
 * under the final name.
 * @returns the temporary name, the content hash and size
 */
export async function copyFileToTemp(source: string, destination: string, options: CopyOptions & { sizeHint?: number }): Promise<CopiedTemp> {
  const temp = tempPathFor(destination, options.tag);
  if (options.sizeHint !== undefined && options.sizeHint < options.chunkBytes && !options.chunkDelayMs) {
    // A small file (as planned): copied whole by a worker thread with blocking calls, hashing exactly the bytes written.
    try {
      const small = await smallCopyPool().copy({ source, temp, maxBytes: options.chunkBytes });
      if (small) {
        options.onBytes?.(small.sizeBytes);
        return { temp, ...small };
      }
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
  const input = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const before = await input.stat({ bigint: true });
    if (before.isFile() && before.size < BigInt(options.chunkBytes) && !options.chunkDelayMs) {
      // A small file: one read, hashed, one write. Fewer syscalls than the kernel copy plus a second read, and the
      // hash is of exactly the bytes written.
      const small = await copySmall(input, temp, Number(before.size), Number(before.mode), options);
      if (small) return { temp, ...small };
    } else if (before.isFile()) {
      // The hash (CPU) runs from the start, alongside the kernel copy. A big file's copy is also flushed while
      // the hash runs (I/O), so the commit's own fsync finds little left to write; hashing then bounds the time.
      const flushWhileHashing = before.size >= BigInt(flushWhileHashingFrom);
      const [copied, hashed] = await Promise.allSettled([
        copyFile(source, temp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE).then(() => (flushWhileHashing ? fsyncAll([temp]) : undefined)),
        hashHandle(input, Number(before.size), options),
      ]);
      if (copied.status === 'rejected') throw copied.reason;
      if (hashed.status === 'rejected') throw hashed.reason;
      const after = await lstat(source, { bigint: true });
      if (unchanged(before, after) && hashed.value.sizeBytes === Number(before.size)) return { temp, ...hashed.value };
      await rm(temp, { force: true });
    }
    // Progress already counted this file's bytes once: the second pass does not report them again.
    return { temp, ...await copyThroughNode(input, temp, Number(before.mode), { ...options, onBytes: undefined }) };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    await input.close();
  }
}

/** From this size on, a copy is flushed while its hash is computed (below, the batch's flush is cheaper). */
const flushWhileHashingFrom = 64 * 1024 * 1024;

const unchanged = (a: BigIntStats, b: BigIntStats) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

/** SHA-256 of an open file, read from offset 0 in chunks. `size` (from fstat) lets a small file take one read. */
async function hashHandle(handle: FileHandle, size: number, options: CopyOptions): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  const length = Math.max(1, Math.min(options.chunkBytes, size + 1));
  // Two buffers: the next chunk is read (threadpool) while this one is hashed (main thread).
  const buffers: Buffer[] = [Buffer.allocUnsafe(length), Buffer.allocUnsafe(length)];
  let sizeBytes = 0;
  let turn = 0;
  let reading = handle.read(buffers[0]!, 0, length, 0);
  for (;;) {
    const { bytesRead, buffer } = await reading;
    if (bytesRead === 0) break;
    const position = sizeBytes + bytesRead;
    // A short read at the size fstat gave is the end of a regular file (a file that grew meanwhile fails the stat check).
    const last = bytesRead < length && position >= size;
    turn ^= 1;
    if (!last) reading = handle.read(buffers[turn]!, 0, length, position);
    hash.update(buffer.subarray(0, bytesRead));
    sizeBytes = position;
    options.onBytes?.(bytesRead);
    if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
    if (last) break;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/**
 * Copies a file of `size` bytes (from fstat) with one read of up to size + 1 bytes and one write.
 * @returns undefined when the file grew meanwhile (nothing written)
 */
async function copySmall(input: FileHandle, temp: string, size: number, mode: number, options: CopyOptions): Promise<{ sha256: string; sizeBytes: number } | undefined> {
  const buffer = Buffer.allocUnsafe(size + 1);
  const { bytesRead } = await input.read(buffer, 0, buffer.length, 0);
  if (bytesRead > size) return undefined;
  const content = buffer.subarray(0, bytesRead);
  const output = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o7777);
  try {
    for (let written = 0; written < content.length;) written += (await output.write(content, written)).bytesWritten;
    await output.chmod(mode & 0o7777);
  } finally {
    await output.close();
  }
  options.onBytes?.(bytesRead);
  return { sha256: createHash('sha256').update(content).digest('hex'), sizeBytes: bytesRead };
}

/** Copies an open file to `temp` by reading and writing chunks in Node, hashing what is written. */
async function copyThroughNode(input: FileHandle, temp: string, mode: number, options: CopyOptions): Promise<{ sha256: string; sizeBytes: number }> {
  const output = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o7777);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  try {
    const buffer = Buffer.allocUnsafe(options.chunkBytes);
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, sizeBytes);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await output.write(chunk);
      sizeBytes += bytesRead;
      options.onBytes?.(bytesRead);
      if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
    }
    await output.chmod(mode & 0o7777);
  } finally {
    await output.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}
