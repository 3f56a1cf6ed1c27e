import { defaultImageCacheDir, findDebianImage } from '@jobmesh/guest-images';
import type { CatalogFile, LabelSpec } from './catalog-schema.ts';

/**
 * The catalog used when JOBMESH_VMRUNNER_CATALOG is unset: `local` runs jobs as
 * host processes (no isolation), `debian-tcg` boots the cached test guest image.
 */
export const defaultCatalog: CatalogFile = {
  labels: [
    { name: 'local', aliases: ['process'], backend: 'process', slots: 4 },
    { name: 'debian-tcg', aliases: ['qemu', 'debian'], backend: 'qemu', image: { testImage: true }, memoryMb: 256, cpus: 1, slots: 2 },
  ],
};

/**
 * The built-in catalog, plus a `debian-12` label when an image built by `npm run image:debian`
 * is in the image cache (the newest one): vm-runner treats it exactly as a downloaded cloud image.
 */
export async function defaultCatalogWithImages(cacheDir = defaultImageCacheDir()): Promise<CatalogFile> {
  const image = await findDebianImage(cacheDir).catch(() => undefined);
  if (!image) return defaultCatalog;
  const debian: LabelSpec = {
    name: 'debian-12', aliases: ['bookworm'], backend: 'qemu', slots: 1, memoryMb: 1024, cpus: 1, network: 'nat', readyTimeoutMs: 300_000,
    image: { cloudInit: true, disk: image.diskPath, kernel: image.kernelPath, initrd: image.initrdPath, cmdline: image.manifest.kernelCmdline },
  };
  return { labels: [...defaultCatalog.labels, debian] };
}
