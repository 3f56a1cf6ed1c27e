import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { syncDirectory } from './sync-directory.ts';
import { tempPathFor } from './temp-names.ts';

/** How copies read and write. */
export interface CopyOptions {
  /** Bytes per read and write. */
  chunkBytes: number;
  /** Sleep after each chunk (test-only throttle). @default 0 */
  chunkDelayMs?: number;
  /** Tag of the transfer, in the temporary name. */
  tag: string;
  /** Called with the bytes of each chunk written. */
  onBytes?: (bytes: number) => void;
}

/**
 * Copies `source` to `destination` through a temporary name in the
 * destination's directory: write, fsync, rename, fsync the directory. A crash
 * leaves at most a temporary file, never a partial file under the final name.
 * The SHA-256 is computed over the bytes read, on the way.
 * @returns the content hash and size written
 */
export async function copyFileAtomic(source: string, destination: string, options: CopyOptions): Promise<{ sha256: string; sizeBytes: number }> {
  const temp = tempPathFor(destination, options.tag);
  const input = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { mode } = await input.stat();
    const output = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o7777);
    const hash = createHash('sha256');
    let sizeBytes = 0;
    try {
      const buffer = Buffer.allocUnsafe(options.chunkBytes);
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await output.write(chunk);
        sizeBytes += bytesRead;
        options.onBytes?.(bytesRead);
        if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
      }
      await output.chmod(mode & 0o7777);
      await output.sync();
    } finally {
      await output.close();
    }
    await rename(temp, destination);
    await syncDirectory(destination);
    return { sha256: hash.digest('hex'), sizeBytes };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    await input.close();
  }
}
