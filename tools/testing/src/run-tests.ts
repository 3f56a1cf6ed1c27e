// The test command: runs every *.test.ts file (or those under the folders given)
// in its own process, two at a time, against one shared embedded Postgres, and
// ends with the line `N passed, N failed, N skipped`.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSupportedNode } from '@jobmesh/config';
import { ensureVmPackages } from '@jobmesh/dev';
import { startEmbeddedPostgres } from '@jobmesh/persistence/embedded';
import { findTestFiles } from './find-test-files.ts';
import { runTestFile, type TestFileResult } from './run-test-file.ts';
import { summarizeResults } from './summarize-results.ts';

assertSupportedNode();
const root = join(import.meta.dirname, '..', '..', '..');
// Every test folder, the bench and drills smoke tests included (they run last, see below).
const defaultDirectories = ['apps', 'libs', 'tools/bench', 'tools/dev', 'tools/drills', 'tools/testing', 'tools/vm-image'];
const directories = process.argv.slice(2).length ? process.argv.slice(2) : defaultDirectories;
const concurrency = Number(process.env.JOBMESH_TEST_CONCURRENCY ?? Math.max(2, availableParallelism()));
const fileTimeoutMs = Number(process.env.JOBMESH_TEST_FILE_TIMEOUT_MS ?? 10 * 60_000);

// The qemu tests need Debian packages: installed here as root, else the exact apt-get line is printed.
await ensureVmPackages();
const files = await findTestFiles(root, directories);
const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-test-pg-'));
const postgres = await startEmbeddedPostgres({ dataDir, fast: true, onLog: () => {} });
const env = { ...process.env, JOBMESH_TEST_PG_URL: postgres.url };
process.stdout.write(`running ${files.length} test files, ${concurrency} at a time (Postgres on port ${postgres.port})\n`);

const results: TestFileResult[] = [];
async function runAndReport(file: string): Promise<void> {
  const result = await runTestFile(root, file, env, fileTimeoutMs);
  results.push(result);
  const mark = result.failed ? 'FAIL' : 'ok  ';
  process.stdout.write(`${mark} ${file}  (${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped, ${(result.durationMs / 1000).toFixed(1)} s)\n`);
  for (const reason of result.skipReasons) process.stdout.write(`     skipped: ${reason}\n`);
  if (result.failed) process.stdout.write(result.output.replace(/^/gm, '    │ ') + '\n');
}
// The bench and drills smoke tests start whole meshes and load both cores themselves: they run
// last, one at a time, so they neither starve the other tests nor each other.
const runsAlone = (file: string) => /^tools\/(bench|drills)\//.test(file);
const queue = files.filter((file) => !runsAlone(file));
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) await runAndReport(file);
  }),
);
for (const file of files.filter(runsAlone)) await runAndReport(file);

await postgres.stop();
await rm(dataDir, { recursive: true, force: true });
const summary = summarizeResults(results);
process.stdout.write(`\n${summary.line}\n`);
process.exit(summary.exitCode);
