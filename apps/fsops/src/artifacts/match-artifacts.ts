import { glob, lstat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { metadataDir, type Roots } from '../paths/create-roots.ts';
import { resolvePath } from '../paths/resolve-path.ts';
import { planTransfer, type PlannedFile, type TransferPlan } from '../transfers/plan-transfer.ts';

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
