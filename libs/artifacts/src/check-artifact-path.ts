import { invalidArgument } from '@jobmesh/grpc-kit';

/**
 * Checks a relative artifact path (one a guest, a listing or a caller named): 1 to 4096 bytes,
 * `/`-separated, no empty, `.` or `..` component, no NUL, no newline, not absolute.
 * @throws MeshError INVALID_ARGUMENT naming `field`
 */
export function checkArtifactPath(field: string, path: string): string {
  if (path === '' || Buffer.byteLength(path) > 4096) throw invalidArgument(field, 'must be 1 to 4096 bytes');
  if (/[\0\n\r]/.test(path)) throw invalidArgument(field, 'must not contain NUL or line breaks');
  if (path.startsWith('/')) throw invalidArgument(field, 'must be relative');
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) throw invalidArgument(field, 'must not have empty, . or .. components');
  return path;
}
