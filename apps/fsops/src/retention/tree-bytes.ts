import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes of the regular files under `path` (symlinks not followed); 0 when it does not exist.
 * @returns null when `path` does not exist, else the byte count
 */
export async function treeBytes(path: string): Promise<number | null> {
  const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!info) return null;
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) total += (await treeBytes(join(path, entry.name))) ?? 0;
  return total;
}
