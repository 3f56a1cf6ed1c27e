import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { claimBuild, isBuildAbandoned, readBuildOwner } from './build-claim.ts';
import { buildDebianImage } from './build-debian-image.ts';
import { debianImageFiles, defaultImageCacheDir, readDebianImage, type DebianImage, type DebianImageManifest } from '@jobmesh/guest-images';
import { debianRecipe } from './debian-recipe.ts';
import { readDebianInputs } from './read-debian-inputs.ts';
import { removeTree } from './remove-tree.ts';
import { buildTools, requireTools } from './require-tools.ts';

/** Options of {@link ensureDebianImage}. */
export interface EnsureDebianImageOptions {
  /** Folder holding one `debian-12-<hash>/` per built image. @default {@link defaultImageCacheDir} */
  cacheDir?: string;
  /** Progress lines (steps, their times, mmdebstrap's own `I:` lines) while building or waiting. */
  onProgress?: (line: string) => void;
}

/** How often a caller waiting for another process's build looks again. */
const waitPollMs = 2_000;

/**
 * Returns the Debian 12 cloud-style image for the current recipe and apt candidate versions,
 * building it first (a few minutes: mmdebstrap from the bookworm mirror, mkfs.ext4, qemu-img)
 * when `<cacheDir>/debian-12-<hash>/image.json` does not exist.
 *
 * Safe for concurrent callers, other processes included: the build happens in
 * `<cacheDir>/.build-debian-12-<hash>/`, whose creation is the lock; others wait for it, and
 * the result is renamed into place. Builds whose owner process died are removed.
 *
 * @throws Error naming the Debian packages to install when mmdebstrap, e2fsprogs or qemu-utils
 *   is missing; when not root; or from the failing build step with its last output lines.
 */
export async function ensureDebianImage(options: EnsureDebianImageOptions = {}): Promise<DebianImage> {
  const cacheDir = path.resolve(options.cacheDir ?? defaultImageCacheDir());
  const onProgress = options.onProgress ?? (() => {});
  const inputs = await readDebianInputs();
  const name = `${debianRecipe.name}-${inputs.hash}`;
  const dir = path.join(cacheDir, name);
  const buildDir = path.join(cacheDir, `.build-${name}`);
  let announcedWait = false;
  for (;;) {
    const image = await readDebianImage(dir);
    if (image) return image;
    requireTools('building the Debian image', buildTools);
    if (process.getuid?.() !== 0) throw new Error('building the Debian image needs root: mmdebstrap (root mode) and mkfs.ext4 -d must keep file ownership');
    await mkdir(cacheDir, { recursive: true });
    await removeAbandonedBuilds(cacheDir, onProgress);
    if (await claimBuild(buildDir)) {
      onProgress(`building ${name} in ${buildDir}`);
      try {
        const outDir = path.join(buildDir, 'out');
        await mkdir(outDir);
        await buildDebianImage({ workDir: buildDir, outDir, hash: inputs.hash, onProgress });
        await chmod(outDir, 0o755);
        await rename(outDir, dir).catch((error: NodeJS.ErrnoException) => {
          // Someone finished first (after removing ours as abandoned): theirs is as good.
          if (!['ENOTEMPTY', 'EEXIST'].includes(error.code ?? '') || !existsSync(path.join(dir, debianImageFiles.manifest))) throw error;
        });
      } finally {
        await removeTree(buildDir);
      }
      continue;
    }
    if (!announcedWait) {
      const owner = await readBuildOwner(buildDir);
      onProgress(`waiting for the build of ${name} by pid ${owner?.pid ?? '?'} (started ${owner?.startedAt ?? '?'})`);
      announcedWait = true;
    }
    await sleep(waitPollMs);
  }
}


async function removeAbandonedBuilds(cacheDir: string, onProgress: (line: string) => void): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    if (!entry.startsWith(`.build-${debianRecipe.name}-`)) continue;
    const buildDir = path.join(cacheDir, entry);
    if (!(await isBuildAbandoned(buildDir))) continue;
    onProgress(`removing abandoned build ${buildDir}`);
    await removeTree(buildDir);
  }
}
