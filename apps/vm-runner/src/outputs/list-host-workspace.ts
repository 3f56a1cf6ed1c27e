import type { ListedEntry } from '@jobmesh/artifacts';
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * Lists the regular files and symlinks of a host folder that may match patterns with these
 * listing roots (see @jobmesh/artifacts listingRoots): folders off the roots' paths and `.git`
 * folders are not entered, symlinks are never followed while walking (their targets are
 * resolved and reported, so the caller can refuse one that leads out).
 * @param root - the folder's real path
 */
export async function listHostWorkspace(root: string, roots: readonly string[]): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  const wanted = (rel: string) => roots.some((r) => r === '.' || rel === r || rel.startsWith(`${r}/`) || r.startsWith(`${rel}/`));
  const walk = async (rel: string): Promise<void> => {
    let children: Dirent[];
    try {
      children = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const child of children) {
      const path = rel ? `${rel}/${child.name}` : child.name;
      if (!wanted(path) || /[\n\r]/.test(path)) continue;
      const full = join(root, path);
      if (child.isDirectory()) {
        if (child.name !== '.git') await walk(path);
      } else if (child.isFile()) {
        const info = await lstat(full);
        entries.push({ kind: 'file', path, size: info.size, mode: info.mode });
      } else if (child.isSymbolicLink()) {
        const target = await realpath(full).catch(() => '');
        const info = target ? await stat(target).catch(() => undefined) : undefined;
        const targetKind = info?.isFile() ? 'file' : info?.isDirectory() ? 'dir' : 'missing';
        entries.push({ kind: 'link', path, target, targetKind, size: info?.isFile() ? info.size : 0, mode: info?.mode ?? 0 });
      }
    }
  };
  await walk('');
  return entries;
}
