import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CatalogFile } from '../../src/catalog/catalog-schema.ts';

/** Where tests (and the built-in catalog) cache the test guest image. */
export const imageCacheDir = fileURLToPath(new URL('../../../../.jobmesh/images', import.meta.url));

/** A catalog with one qemu label on the test image (`debian-tcg`, alias `qemu`, 2 slots, 256 MiB). */
export const qemuCatalog: CatalogFile = {
  labels: [{ name: 'debian-tcg', aliases: ['qemu'], backend: 'qemu', image: { testImage: true }, memoryMb: 256, cpus: 1, slots: 2 }],
};

/** sha256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export { killProcessesMentioning, processesMentioning } from '@jobmesh/testing-tools';
