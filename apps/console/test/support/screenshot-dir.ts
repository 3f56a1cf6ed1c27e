import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Where the browser tests write their screenshots: `$JOBMESH_TEST_OUTPUT_DIR/console`, by
 * default `.jobmesh/test-output/console` in the repository (not committed; docs/console holds
 * the chosen ones).
 */
export async function screenshotDir(): Promise<string> {
  const dir = join(process.env.JOBMESH_TEST_OUTPUT_DIR ?? join(repoRoot, '.jobmesh', 'test-output'), 'console');
  await mkdir(dir, { recursive: true });
  return dir;
}
