import type { CatalogFile } from './catalog-schema.ts';

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
