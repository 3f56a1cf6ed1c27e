import { failedPrecondition } from '@jobmesh/grpc-kit';
import { constants } from 'node:fs';
import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { syncDirectory } from './sync-directory.ts';
import { tempPathFor } from './temp-names.ts';

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;
const cannotClone = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);

/**
 * Hard-links `source` at `destination` through a temporary name and a rename,
 * so an existing destination is replaced atomically.
 * @throws MeshError FAILED_PRECONDITION (CROSS_DEVICE) when they are on different filesystems
 */
export async function linkFileAtomic(source: string, destination: string, tag: string): Promise<void> {
  const temp = tempPathFor(destination, tag);
  try {
    await link(source, temp);
  } catch (error) {
    if (code(error) === 'EXDEV') throw failedPrecondition('CROSS_DEVICE', 'hardlink: source and destination are on different filesystems', { cause: error });
    throw error;
  }
  // rename() between two links of one inode does nothing and keeps both names: drop the temporary one.
  await rename(temp, destination);
  await rm(temp, { force: true });
  await syncDirectory(destination);
}

/**
 * Clones `source` to `destination` copy-on-write (FICLONE), through a
 * temporary name, fsync and rename.
 * @throws MeshError FAILED_PRECONDITION (REFLINK_UNSUPPORTED) when the filesystem cannot clone between them
 */
export async function reflinkFileAtomic(source: string, destination: string, tag: string): Promise<void> {
  const temp = tempPathFor(destination, tag);
  try {
    await copyFile(source, temp, constants.COPYFILE_FICLONE_FORCE);
  } catch (error) {
    await rm(temp, { force: true });
    if (cannotClone.has(code(error) ?? '')) {
      throw failedPrecondition('REFLINK_UNSUPPORTED', 'reflink: the filesystem cannot clone between source and destination', { cause: error });
    }
    throw error;
  }
  const clone = await open(temp, 'r+');
  await clone.sync().finally(() => clone.close());
  await rename(temp, destination);
  await syncDirectory(destination);
}
