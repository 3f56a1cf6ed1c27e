import { invalidArgument } from '@jobmesh/grpc-kit';

/** Largest file ReadRepositoryFile returns when max_bytes is 0: 1 MiB. */
export const defaultRepositoryFileMaxBytes = 1024 * 1024;
/** Largest max_bytes accepted: 16 MiB. */
export const repositoryFileMaxBytesLimit = 16 * 1024 * 1024;
/** Longest path in a repository, in characters. */
const repositoryPathMaxChars = 4096;

/**
 * A path inside a repository's tree: relative, `/`-separated, 1 to 4096 characters, no NUL,
 * and each component a name (no `..`, `.` or empty one, so no leading, doubled or trailing `/`).
 * @throws MeshError INVALID_ARGUMENT naming `field`
 */
export function requireRepositoryPath(field: string, path: string): string {
  if (path.length === 0 || path.length > repositoryPathMaxChars) throw invalidArgument(field, `must be 1 to ${repositoryPathMaxChars} characters`);
  if (path.includes('\0')) throw invalidArgument(field, 'must not contain a NUL byte');
  if (path.startsWith('/')) throw invalidArgument(field, 'must be relative to the repository, without a leading /');
  for (const component of path.split('/')) {
    if (component === '..') throw invalidArgument(field, 'must not contain a .. component');
    if (component === '' || component === '.') throw invalidArgument(field, 'must not contain empty or . components (//, ./, a trailing /)');
  }
  return path;
}

/**
 * ReadRepositoryFile's max_bytes: 0 is the default (1 MiB), else 1 to 16 MiB.
 * @returns the limit in bytes
 * @throws MeshError INVALID_ARGUMENT naming `field`
 */
export function requireRepositoryFileMaxBytes(field: string, maxBytes: number): number {
  if (maxBytes === 0) return defaultRepositoryFileMaxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > repositoryFileMaxBytesLimit) {
    throw invalidArgument(field, `must be 0 (${defaultRepositoryFileMaxBytes} bytes) or 1 to ${repositoryFileMaxBytesLimit} bytes`);
  }
  return maxBytes;
}
