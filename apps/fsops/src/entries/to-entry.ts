import type { Entry } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import type { Stats } from 'node:fs';

/** The proto Entry of lstat results. */
export function toEntry(path: string, stats: Stats): Entry {
  return {
    path,
    isDir: stats.isDirectory(),
    isSymlink: stats.isSymbolicLink(),
    sizeBytes: stats.size,
    mode: stats.mode & 0o7777,
    inode: stats.ino,
    nlink: stats.nlink,
    modifiedAt: stats.mtime,
  };
}
