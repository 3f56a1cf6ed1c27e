import { failedPrecondition } from '@jobmesh/grpc-kit';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isInside } from '../paths/is-inside.ts';
import { deniedPath, invalidPath } from '../paths/path-errors.ts';
import { isTempName } from './temp-names.ts';

/** One file to transfer. */
export interface PlannedFile {
  /** Path relative to the destination (the destination's own name for a single file). */
  path: string;
  /** Real path of the content to read or link. */
  source: string;
  /** Absolute destination path. */
  destination: string;
  sizeBytes: number;
  /** Unix permission bits. */
  mode: number;
}

/** What a transfer will do, decided before anything is written. */
export interface TransferPlan {
  /** The real source (file or directory root of the tree). */
  source: string;
  destination: string;
  isTree: boolean;
  /** True when the files are a selection out of the source tree (artifacts). */
  selection?: boolean;
  files: PlannedFile[];
  /** Directories to create, relative to the destination (the tree's empty ones included). */
  directories: string[];
  bytesTotal: number;
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Walks a source file or tree (already resolved inside `root`; `reserved` is
 * the fsops metadata directory). A symlink in
 * the tree is followed only to a regular file inside the same root; anything
 * else (link out, loop, link to a directory, device, socket) refuses the whole
 * transfer before a byte moves.
 * @throws MeshError PERMISSION_DENIED (PATH_OUTSIDE_ROOT, SYMLINK_DANGLING), INVALID_ARGUMENT (SYMLINK_LOOP),
 *   FAILED_PRECONDITION (UNSUPPORTED_FILE_TYPE)
 */
export async function planTransfer(root: string, reserved: string, source: string, destination: string): Promise<TransferPlan> {
  const top = await stat(source);
  if (top.isFile()) {
    const file = { path: basename(destination), source, destination, sizeBytes: top.size, mode: top.mode & 0o7777 };
    return { source, destination, isTree: false, files: [file], directories: [], bytesTotal: top.size };
  }
  if (!top.isDirectory()) throw failedPrecondition('UNSUPPORTED_FILE_TYPE', 'source: neither a file nor a directory');
  const plan: TransferPlan = { source, destination, isTree: true, files: [], directories: [''], bytesTotal: 0 };
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(source, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    // The files of a directory are stat'ed concurrently (one syscall each, many in flight), then taken in name order.
    const files = await Promise.all(entries.map(async (entry) => {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (isTempName(rel) || entry.isDirectory()) return undefined;
      const full = join(source, rel);
      const real = entry.isSymbolicLink() ? await followInside(root, reserved, full, rel) : full;
      const stats = await lstat(real);
      if (!stats.isFile()) throw failedPrecondition('UNSUPPORTED_FILE_TYPE', `source: ${rel} is neither a file nor a directory`);
      return { path: rel, source: real, destination: join(destination, rel), sizeBytes: stats.size, mode: stats.mode & 0o7777 };
    }));
    for (const [i, entry] of entries.entries()) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (isTempName(rel)) continue;
      if (entry.isDirectory()) {
        plan.directories.push(rel);
        await walk(rel);
        continue;
      }
      const file = files[i]!;
      plan.files.push(file);
      plan.bytesTotal += file.sizeBytes;
    }
  };
  await walk('');
  return plan;
}

async function followInside(root: string, reserved: string, link: string, rel: string): Promise<string> {
  let target: string;
  try {
    target = await realpath(link);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw invalidPath('source', 'SYMLINK_LOOP', `${rel} runs into a symlink loop`);
    if (errorCode(error) === 'ENOENT') throw deniedPath('source', 'SYMLINK_DANGLING', `${rel} is a symlink to nothing`);
    throw error;
  }
  if (!isInside(root, target)) throw deniedPath('source', 'PATH_OUTSIDE_ROOT', `${rel} is a symlink out of its root`);
  if (isInside(reserved, target)) throw deniedPath('source', 'PATH_RESERVED', `${rel} is a symlink to fsops metadata`);
  const stats = await lstat(target);
  // Following a link to a directory could revisit the tree (or a parent of it) without end.
  if (!stats.isFile()) throw failedPrecondition('UNSUPPORTED_FILE_TYPE', `source: ${rel} is a symlink to something other than a file`);
  return target;
}
