import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
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

/** Pids of live processes whose command line mentions `text` (e.g. a test's state dir). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(text) && stat[stat.lastIndexOf(')') + 2] !== 'Z') pids.push(Number(entry));
    } catch { /* gone */ }
  }
  return pids;
}

/** SIGKILLs every live process mentioning `text` (test clean-up: no qemu survives a test). */
export function killProcessesMentioning(text: string): void {
  for (const pid of processesMentioning(text)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
