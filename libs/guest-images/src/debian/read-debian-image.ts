import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DebianImage, DebianImageManifest } from './debian-image.ts';

/** Name of the Debian image and the prefix of its folders (`debian-12-<hash>`). */
export const debianImageName = 'debian-12';

/** Files of an image folder. */
export const debianImageFiles = {
  kernel: 'vmlinuz',
  initrd: 'initrd.img',
  disk: 'disk.qcow2',
  /** Written last: its presence marks a complete image. */
  manifest: 'image.json',
} as const;

/**
 * Reads a built image folder (its `image.json`, written last by the builder).
 * @returns undefined when the folder holds no complete image
 */
export async function readDebianImage(dir: string): Promise<DebianImage | undefined> {
  const manifestPath = path.join(dir, debianImageFiles.manifest);
  const text = await readFile(manifestPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const manifest = JSON.parse(text) as DebianImageManifest;
  return {
    dir,
    kernelPath: path.join(dir, manifest.kernel),
    initrdPath: path.join(dir, manifest.initrd),
    diskPath: path.join(dir, manifest.disk),
    manifestPath,
    manifest,
  };
}
