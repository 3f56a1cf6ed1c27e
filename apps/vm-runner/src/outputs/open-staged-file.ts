import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import type { StagedOutput } from '../backends/backend.ts';

/** One file being written into a staging folder. */
export interface StagedFile {
  /** Appends bytes; writes are queued in order (callers may not await each one). */
  write(data: Buffer): void;
  /** Bytes written so far. */
  readonly size: number;
  /**
   * Flushes, checks what was written against what the source said (when it said), sets the
   * mode and gives the file its final name.
   * @throws MeshError DATA_LOSS-like FAILED_PRECONDITION ARTIFACT_TRANSFER_CORRUPTED when size or SHA-256 differ
   */
  commit(expected?: { sizeBytes: number; sha256: string }): Promise<StagedOutput>;
  /** Closes and removes the temporary file. Idempotent. */
  abort(): Promise<void>;
}

/**
 * Opens `<destination>/<path>` for staging under a temporary name (`.jm-part-<random>`, mode 0600),
 * hashing what is written, so no half-written file ever carries the final name.
 * @param mode - permission bits the staged file gets at commit (0o777 of them, at least owner read/write)
 */
export async function openStagedFile(destination: string, path: string, mode: number): Promise<StagedFile> {
  const final = join(destination, path);
  await mkdir(dirname(final), { recursive: true });
  // Short and random: never an artifact's own name, never too long for the folder.
  const temp = join(dirname(final), `.jm-part-${randomBytes(8).toString('hex')}`);
  const handle = await open(temp, 'w', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  let pending: Promise<unknown> = Promise.resolve();
  // The first write error, kept (and the chain marked handled) so a failing disk cannot become an unhandled rejection between writes.
  let failed: unknown;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await pending.catch(() => undefined);
    await handle.close();
  };
  return {
    write(data) {
      hash.update(data);
      size += data.length;
      pending = pending.then(() => (failed === undefined ? handle.write(data) : undefined)).catch((error: unknown) => {
        failed ??= error;
      });
    },
    get size() {
      return size;
    },
    async commit(expected) {
      await pending;
      await close();
      if (failed !== undefined) {
        await rm(temp, { force: true });
        throw failed;
      }
      const sha256 = hash.digest('hex');
      if (expected && (expected.sizeBytes !== size || expected.sha256 !== sha256)) {
        await rm(temp, { force: true });
        throw failedPrecondition('ARTIFACT_TRANSFER_CORRUPTED', `artifact ${path}: received ${size} bytes with sha256 ${sha256}; the source has ${expected.sizeBytes} bytes with sha256 ${expected.sha256}`);
      }
      // Permission bits only: a guest never gets a setuid, setgid or sticky file onto the host.
      await chmod(temp, (mode & 0o777) | 0o600);
      await rename(temp, final);
      return { path, sizeBytes: size, sha256, mode: mode & 0o777 };
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(temp, { force: true });
    },
  };
}
