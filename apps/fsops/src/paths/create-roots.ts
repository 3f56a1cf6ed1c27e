import { failedPrecondition } from '@jobmesh/grpc-kit';
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isInside } from './is-inside.ts';

/** The names of the configured roots. */
export type RootName = 'workspace' | 'staging' | 'artifacts';

/** The roots as real absolute paths (symlinks in the configured paths resolved). */
export type Roots = Readonly<Record<RootName, string>>;

/** Where fsops keeps its own metadata (sidecars); refused to callers. */
export const reservedDirName = '.fsops';

/** The reserved metadata directory of a set of roots: `<staging>/.fsops`. */
export function metadataDir(roots: Roots): string {
  return join(roots.staging, reservedDirName);
}

/**
 * Creates the roots if missing and resolves them to real paths, so that every
 * later containment check compares real paths with real paths.
 * @throws MeshError FAILED_PRECONDITION (ROOTS_OVERLAP) when one root lies inside another
 */
export async function createRoots(configured: Record<RootName, string>): Promise<Roots> {
  const entries = await Promise.all(
    (Object.entries(configured) as [RootName, string][]).map(async ([name, path]) => {
      await mkdir(path, { recursive: true });
      return [name, await realpath(path)] as const;
    }),
  );
  for (const [a, pa] of entries) {
    for (const [b, pb] of entries) {
      // Nested roots would make "which root is this path in" ambiguous and let a link escape one root into another.
      if (a !== b && isInside(pa, pb)) throw failedPrecondition('ROOTS_OVERLAP', `root ${b} (${pb}) lies inside root ${a} (${pa})`);
    }
  }
  const roots = Object.fromEntries(entries) as Record<RootName, string>;
  await mkdir(metadataDir(roots), { recursive: true });
  return roots;
}
