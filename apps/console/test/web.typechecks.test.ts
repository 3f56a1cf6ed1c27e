import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// The front end's .tsx files need the DOM and JSX, which the repository's tsconfig (Node
// services) leaves out: apps/console/tsconfig.json checks them, and this test keeps CI's
// `npm test` holding them to it (the root typecheck covers the server and the pure modules).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));

test('the web front end typechecks (apps/console/tsconfig.json)', async () => {
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(process.execPath, [tsc, '-p', 'apps/console/tsconfig.json'], { cwd: root, timeout: 240_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
  });
  assert.is(result.code, 0, result.output);
});

test.run();
