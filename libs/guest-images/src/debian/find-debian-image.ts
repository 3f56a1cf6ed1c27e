import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DebianImage } from './debian-image.ts';
import { defaultImageCacheDir } from './default-image-cache-dir.ts';
import { debianImageName, readDebianImage } from './read-debian-image.ts';

/**
 * The most recently built Debian image in the cache, whatever its hash, without building or
 * asking apt: for code that offers the image when it exists (a catalog label) and must not
 * lose it because apt's lists moved on before the next `npm run image:debian`.
 *
 * @param cacheDir - @default {@link defaultImageCacheDir}
 * @returns undefined when no complete image is there.
 */
export async function findDebianImage(cacheDir = defaultImageCacheDir()): Promise<DebianImage | undefined> {
  const names = await readdir(cacheDir).catch(() => [] as string[]);
  const images: DebianImage[] = [];
  for (const name of names.filter((entry) => entry.startsWith(`${debianImageName}-`))) {
    const image = await readDebianImage(path.join(cacheDir, name)).catch(() => undefined);
    if (image) images.push(image);
  }
  return images.sort((a, b) => b.manifest.builtAt.localeCompare(a.manifest.builtAt))[0];
}
