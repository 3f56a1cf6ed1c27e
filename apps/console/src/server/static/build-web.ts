// Builds the web front end with Vite into the folder named by the first argument. Run as its own
// process by ensureWebBuild (Vite stays out of the server's process); works offline.
import { join } from 'node:path';
import { build } from 'vite';

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: build-web.ts OUT_DIR\n');
  process.exit(2);
}
const root = join(import.meta.dirname, '..', '..', 'web');
await build({
  configFile: false,
  root,
  base: '/',
  logLevel: 'warn',
  clearScreen: false,
  // Preact's automatic JSX runtime: no React, no plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 1024 },
});
