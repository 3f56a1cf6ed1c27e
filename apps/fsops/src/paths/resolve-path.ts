import { failedPrecondition } from '@jobmesh/grpc-kit';
import { lstat, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPathText } from './check-path-text.ts';
import { metadataDir, type RootName, type Roots } from './create-roots.ts';
import { isInside } from './is-inside.ts';
import { deniedPath, invalidPath } from './path-errors.ts';

/** A path proven to lie inside a root. */
export interface ResolvedPath {
  /** The root it lies in (real path) and that root's name. */
  root: string;
  rootName: RootName;
  /** Every directory resolved, the last component not followed: what Stat and Remove act on. */
  path: string;
  /** Fully resolved: `path`, or the target when the last component is a symlink. */
  real: string;
  /** False when the last component (or a parent) does not exist yet. */
  exists: boolean;
  /** True when the last component is a symlink (whose target lies inside the same root). */
  isSymlink: boolean;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Resolves a caller's path inside the roots before anything touches it: the
 * text is checked, then each existing component is lstat'ed from the root
 * down; a symlink is followed only when its real target lies inside the same
 * root. Missing components are kept as written (they lie below a real
 * directory inside the root, and contain no `..`).
 * @throws MeshError INVALID_ARGUMENT (PATH_INVALID, PATH_TOO_LONG, SYMLINK_LOOP),
 *   PERMISSION_DENIED (PATH_OUTSIDE_ROOT, PATH_RESERVED, SYMLINK_DANGLING),
 *   FAILED_PRECONDITION (NOT_A_DIRECTORY) when a parent is a file
 */
export async function resolvePath(roots: Roots, field: string, input: string): Promise<ResolvedPath> {
  const components = checkPathText(field, input);
  const clean = `/${components.join('/')}`;
  const found = (Object.entries(roots) as [RootName, string][]).find(([, root]) => isInside(root, clean));
  if (!found) throw deniedPath(field, 'PATH_OUTSIDE_ROOT', 'is not inside a configured root');
  const [rootName, root] = found;
  const reserved = metadataDir(roots);
  const guard = (path: string) => {
    if (!isInside(root, path)) throw deniedPath(field, 'PATH_OUTSIDE_ROOT', 'leads out of its root through a symlink');
    if (isInside(reserved, path)) throw deniedPath(field, 'PATH_RESERVED', 'is fsops metadata');
  };
  guard(clean);

  const rest = clean === root ? [] : clean.slice(root.length + 1).split('/');
  let current = root;
  for (let i = 0; i < rest.length; i++) {
    const next = join(current, rest[i]!);
    const last = i === rest.length - 1;
    let stats;
    try {
      stats = await lstat(next);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        const missing = join(current, ...rest.slice(i));
        return { root, rootName, path: missing, real: missing, exists: false, isSymlink: false };
      }
      if (errorCode(error) === 'ENOTDIR') throw failedPrecondition('NOT_A_DIRECTORY', `${field}: a parent is not a directory`, { field });
      throw error;
    }
    if (stats.isSymbolicLink()) {
      const target = await followLink(field, next);
      guard(target);
      if (last) return { root, rootName, path: next, real: target, exists: true, isSymlink: true };
      current = target;
      stats = await lstat(target);
    } else {
      current = next;
    }
    if (!last && !stats.isDirectory()) throw failedPrecondition('NOT_A_DIRECTORY', `${field}: a parent is not a directory`, { field });
  }
  return { root, rootName, path: current, real: current, exists: true, isSymlink: false };
}

/** The real target of a symlink, refusing loops and dangling links. */
async function followLink(field: string, link: string): Promise<string> {
  try {
    return await realpath(link);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw invalidPath(field, 'SYMLINK_LOOP', 'runs into a symlink loop');
    // A dangling link could come to point anywhere once its target appears: never write through one.
    if (errorCode(error) === 'ENOENT') throw deniedPath(field, 'SYMLINK_DANGLING', 'is a symlink to nothing');
    throw error;
  }
}
