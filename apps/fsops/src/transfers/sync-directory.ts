import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsyncs the directory holding `path`, so a rename into it survives a power loss. */
export async function syncDirectory(path: string): Promise<void> {
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
