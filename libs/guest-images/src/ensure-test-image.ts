import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildImage, imageFiles } from './build-image.ts';
import type { GuestImage } from './guest-image.ts';
import { readImageInputs } from './image-inputs.ts';

/** Options of {@link ensureTestImage}. */
export interface EnsureTestImageOptions {
  /** Directory holding one sub-directory per image version. */
  cacheDir: string;
}

/**
 * Returns the test guest image for the installed kernel, busybox and guest sources, building
 * it first when `<cacheDir>/<version>` does not exist yet. Offline: uses only installed Debian
 * packages (linux-image-amd64, busybox-static, kmod, cpio, gzip, xz-utils, e2fsprogs).
 *
 * Safe under concurrent calls (other processes included): each build happens in a private
 * temporary directory that is renamed into place; the loser of a race discards its copy.
 *
 * @throws Error when an input is missing (naming the package) or a build step fails.
 */
export async function ensureTestImage(options: EnsureTestImageOptions): Promise<GuestImage> {
  const cacheDir = path.resolve(options.cacheDir);
  const inputs = await readImageInputs();
  const dir = path.join(cacheDir, inputs.version);
  if (!existsSync(path.join(dir, imageFiles.manifest))) {
    await mkdir(cacheDir, { recursive: true });
    await removeAbandonedBuilds(cacheDir);
    const temp = await mkdtemp(path.join(cacheDir, `.build-${inputs.version}-`));
    try {
      await buildImage(inputs, temp);
      await rm(path.join(temp, '.staging'), { recursive: true, force: true });
      await chmod(temp, 0o755);
      await rename(temp, dir).catch((error: NodeJS.ErrnoException) => {
        // Someone else finished first: theirs is as good as ours.
        if (!['ENOTEMPTY', 'EEXIST'].includes(error.code ?? '') || !existsSync(path.join(dir, imageFiles.manifest))) throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  return {
    kernelPath: path.join(dir, imageFiles.kernel),
    initrdPath: path.join(dir, imageFiles.initrd),
    baseDiskPath: path.join(dir, imageFiles.baseDisk),
    manifestPath: path.join(dir, imageFiles.manifest),
    version: inputs.version,
  };
}

/** A build directory older than this belongs to a build that died (a build takes seconds). */
const abandonedBuildMs = 60 * 60 * 1000;

async function removeAbandonedBuilds(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith('.build-')) continue;
    const dir = path.join(cacheDir, name);
    const info = await stat(dir).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > abandonedBuildMs) await rm(dir, { recursive: true, force: true });
  }
}
