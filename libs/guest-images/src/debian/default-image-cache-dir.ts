import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where built images are kept unless a caller says otherwise: outside any clone, so every
 * checkout and every CI run on the machine shares them.
 *
 * @default `$JOBMESH_IMAGE_CACHE_DIR`, else `~/.cache/jobmesh/images`
 */
export function defaultImageCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.JOBMESH_IMAGE_CACHE_DIR || path.join(homedir(), '.cache', 'jobmesh', 'images'));
}
