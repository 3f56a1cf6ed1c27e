import { invalidArgument } from '@jobmesh/grpc-kit';
import { glob, lstat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { metadataDir, type Roots } from '../paths/create-roots.ts';
import { resolvePath } from '../paths/resolve-path.ts';
import { planTransfer, type PlannedFile, type TransferPlan } from '../transfers/plan-transfer.ts';

/**
 * Checks artifact patterns as text: relative, no `..`, no NUL, bounded.
 * @throws MeshError INVALID_ARGUMENT naming `patterns[i]`
 */
export function requirePatterns(patterns: readonly string[]): string[] {
  if (patterns.length === 0 || patterns.length > 100) throw invalidArgument('patterns', 'must hold 1 to 100 patterns');
  patterns.forEach((pattern, i) => {
    const field = `patterns[${i}]`;
    if (pattern === '' || pattern.length > 1024 || pattern.includes('\0')) throw invalidArgument(field, 'must be 1 to 1024 characters without NUL');
    if (pattern.startsWith('/')) throw invalidArgument(field, 'must be relative to the workspace');
    if (pattern.split('/').includes('..')) throw invalidArgument(field, 'must not contain a .. component');
  });
  return [...patterns];
}

/**
 * Plans a collection: every match of the patterns inside the workspace (a
 * matched directory brings its tree; `.git` is never collected), each match
 * resolved inside the roots like any caller path, so a symlink out of the
 * workspace refuses the collection before anything moves. `.git` anywhere
 * in a path is skipped: the job's repository metadata is not an output.
 */
export async function matchArtifacts(roots: Roots, workspace: string, patterns: string[], destination: string): Promise<TransferPlan> {
  const byPath = new Map<string, PlannedFile>();
  const isGit = (path: string) => path.split('/').includes('.git');
  for await (const found of glob(patterns, { cwd: workspace })) {
    const match = posix.normalize(found);
    // `**` also matches the workspace itself; its files come through their own matches.
    if (match === '.' || match === '' || isGit(match)) continue;
    const resolved = await resolvePath(roots, 'patterns', join(workspace, match));
    const stats = await lstat(resolved.real);
    const sub = await planTransfer(resolved.root, metadataDir(roots), resolved.real, join(destination, match));
    for (const file of sub.files) {
      const path = stats.isDirectory() ? `${match}/${file.path}` : match;
      if (isGit(path)) continue;
      byPath.set(path, { ...file, path, destination: join(destination, path) });
    }
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const directories = [...new Set(['', ...files.map((f) => dirname(f.path)).filter((d) => d !== '.')])];
  return {
    source: workspace, destination, isTree: true, selection: true, files, directories,
    bytesTotal: files.reduce((n, f) => n + f.sizeBytes, 0),
  };
}
