import { deniedPath, invalidPath } from './path-errors.ts';

/** Longest path in bytes (Linux PATH_MAX, including the terminating NUL). */
export const pathMaxBytes = 4096;
/** Longest file name in bytes (Linux NAME_MAX). */
export const nameMaxBytes = 255;

/**
 * Checks a path as text, before anything touches the filesystem: absolute, no
 * NUL byte, within PATH_MAX and NAME_MAX, no `..` component.
 * @returns its components, `.` and empty ones dropped
 * @throws MeshError INVALID_ARGUMENT (PATH_INVALID, PATH_TOO_LONG) or PERMISSION_DENIED (PATH_OUTSIDE_ROOT for `..`)
 */
export function checkPathText(field: string, path: string): string[] {
  if (path.length === 0) throw invalidPath(field, 'PATH_INVALID', 'must not be empty');
  if (path.includes('\0')) throw invalidPath(field, 'PATH_INVALID', 'must not contain a NUL byte');
  if (Buffer.byteLength(path) >= pathMaxBytes) {
    throw invalidPath(field, 'PATH_TOO_LONG', `must be shorter than ${pathMaxBytes} bytes`);
  }
  if (!path.startsWith('/')) throw invalidPath(field, 'PATH_INVALID', 'must be an absolute path');
  const components = path.split('/').filter((c) => c !== '' && c !== '.');
  for (const component of components) {
    if (Buffer.byteLength(component) > nameMaxBytes) {
      throw invalidPath(field, 'PATH_TOO_LONG', `has a name longer than ${nameMaxBytes} bytes`);
    }
    // Refused outright, even when it would land back inside a root: a `..` after a symlink means something else to the kernel than to a string.
    if (component === '..') throw deniedPath(field, 'PATH_OUTSIDE_ROOT', 'must not contain a .. component');
  }
  return components;
}
