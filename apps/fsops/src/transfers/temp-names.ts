import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const suffix = '.fsops-tmp';

/**
 * A temporary name next to `destination` (same directory, so the final rename
 * is atomic and never crosses a filesystem), tagged with the transfer so a
 * resume can find and remove what a crashed attempt left.
 */
export function tempPathFor(destination: string, tag: string): string {
  const name = `.${tag}.${randomBytes(6).toString('hex')}${suffix}`;
  return join(dirname(destination), name.length > 255 ? name.slice(0, 255 - suffix.length) + suffix : name);
}

/** Removes temporary files of transfer `tag` left in `directory` by a crashed attempt. @returns how many */
export async function removeStaleTemps(directory: string, tag: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith(`.${tag}.`) && n.endsWith(suffix));
  await Promise.all(stale.map((n) => rm(join(directory, n), { force: true })));
  return stale.length;
}

/** True for a name tempPathFor made; such files are never part of a result. */
export function isTempName(path: string): boolean {
  const name = basename(path);
  return name.startsWith('.') && name.endsWith(suffix);
}
