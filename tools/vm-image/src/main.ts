/**
 * Builds (or finds in the cache) the test guest image and prints its paths as JSON.
 *
 *   npx node tools/vm-image/src/main.ts [--cache-dir DIR]     (default <repo>/.jobmesh/images)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureTestImage } from '@jobmesh/guest-images';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`needs Node 24 or newer, got ${process.versions.node}: run with npx node\n`);
  process.exit(1);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({ options: { 'cache-dir': { type: 'string' } } });
const cacheDir = values['cache-dir'] ?? path.join(repoRoot, '.jobmesh/images');
const started = performance.now();
try {
  const image = await ensureTestImage({ cacheDir });
  process.stderr.write(`vm-image: ready in ${Math.round(performance.now() - started)} ms\n`);
  process.stdout.write(JSON.stringify(image, null, 2) + '\n');
} catch (error) {
  process.stderr.write(`vm-image: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
