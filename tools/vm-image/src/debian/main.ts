/**
 * Builds (or finds in the cache) the Debian 12 cloud-style image, then prints its folder and a
 * catalog label for it. With --boot N, also boots it N times with plain qemu (TCG) to the
 * marker and prints the times.
 *
 *   npm run image:debian [-- --cache-dir DIR] [--boot N] [--no-network]
 *
 * --cache-dir  default $JOBMESH_IMAGE_CACHE_DIR, else ~/.cache/jobmesh/images
 */
import { parseArgs } from 'node:util';
import { bootToMarker } from './boot-to-marker.ts';
import { catalogLabel } from './catalog-label.ts';
import { ensureDebianImage } from './ensure-debian-image.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`needs Node 24 or newer, got ${process.versions.node}: run with npm run image:debian\n`);
  process.exit(1);
}

const { values } = parseArgs({ options: { 'cache-dir': { type: 'string' }, boot: { type: 'string' }, 'no-network': { type: 'boolean' } } });
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const progress = (line: string) => process.stderr.write(`[${elapsed()}] ${line}\n`);
try {
  const image = await ensureDebianImage({ ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}), onProgress: progress });
  progress(`ready: ${image.dir} (kernel ${image.manifest.kernelVersion}, built ${image.manifest.builtAt} in ${image.manifest.buildSeconds} s)`);
  const boots = Number(values.boot ?? 0);
  const markerTimes: number[] = [];
  for (let boot = 1; boot <= boots; boot++) {
    const result = await bootToMarker(image, { timeoutMs: 600_000, network: !values['no-network'] });
    markerTimes.push(result.markerMs);
    progress(`boot ${boot}/${boots}: marker at ${(result.markerMs / 1000).toFixed(1)} s, qemu exited at ${(result.exitMs / 1000).toFixed(1)} s: ${result.markerLine}`);
  }
  if (boots > 0) progress(`boot to marker, median of ${boots}: ${(median(markerTimes) / 1000).toFixed(1)} s (TCG, q35, 1024M, 1 vCPU)`);
  process.stdout.write(`image folder: ${image.dir}\ncatalog label:\n${JSON.stringify(catalogLabel(image), null, 2)}\n`);
} catch (error) {
  process.stderr.write(`image:debian: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}
