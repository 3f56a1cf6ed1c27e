import type { ReadFileRequest, ReadFileResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { failedPrecondition, invalidArgument, notFound, outOfRange } from '@jobmesh/grpc-kit';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import type { Roots } from '../paths/create-roots.ts';
import { mapFsError } from '../paths/map-fs-error.ts';
import { resolvePath } from '../paths/resolve-path.ts';

/** Bytes per data message (the contract's limit). */
export const readChunkBytes = 1024 * 1024;

/**
 * The ReadFile handler: a regular file inside a root, its info first, then
 * its bytes from `offset` in chunks of at most 1 MiB. Each chunk is read only
 * once the previous one was taken by the stream (backpressure).
 * @throws MeshError NOT_FOUND (PATH_NOT_FOUND), FAILED_PRECONDITION (NOT_A_FILE),
 *   OUT_OF_RANGE naming `offset` past the end, and the path refusals of resolvePath
 */
export function createReadFileHandler(roots: Roots) {
  return async function* readFile(request: ReadFileRequest): AsyncGenerator<ReadFileResponse> {
    const offset = Number(request.offset);
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument('offset', 'must be 0 or more');
    const resolved = await resolvePath(roots, 'path', request.path);
    if (!resolved.exists) throw notFound('PATH_NOT_FOUND', `${request.path} does not exist`);
    // lstat before open: opening a FIFO would block, a device is no file to serve.
    const before = await lstat(resolved.real).catch((e: unknown) => { throw mapFsError(e, 'path'); });
    if (!before.isFile()) throw failedPrecondition('NOT_A_FILE', `${request.path} is not a regular file`);
    const handle = await open(resolved.real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: unknown) => { throw mapFsError(e, 'path'); });
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw failedPrecondition('NOT_A_FILE', `${request.path} is not a regular file`);
      if (offset > stats.size) throw outOfRange('offset', `must be 0 to the file's size (${stats.size})`);
      yield { info: { sizeBytes: stats.size, mode: stats.mode & 0o7777 } };
      for (let position = offset; ;) {
        // A fresh buffer per chunk: the previous one may still wait in the stream's queue.
        const buffer = Buffer.allocUnsafe(readChunkBytes);
        const { bytesRead } = await handle.read(buffer, 0, readChunkBytes, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        yield { data: buffer.subarray(0, bytesRead) };
      }
    } finally {
      await handle.close();
    }
  };
}
