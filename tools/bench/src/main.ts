// npm run bench [-- <suite>...] [--quick] [--out DIR]: runs the suites one after another on
// one embedded Postgres, prints a progress line per suite and a table at the end, and writes
// BENCHMARKS.md plus the raw JSON (docs/ in a full run; --out or a temp dir otherwise).
import { assertSupportedNode } from '@jobmesh/config';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './bench-types.ts';
import { machineInfo } from './machine-info.ts';
import { mergePreviousResults } from './merge-previous-results.ts';
import { parseBenchArgs } from './parse-bench-args.ts';
import { renderTable } from './render-table.ts';
import { runSuites } from './run-suites.ts';
import { startBenchPostgres } from './start-bench-postgres.ts';
import { allSuites } from './suites/index.ts';
import { writeOutputs } from './write-outputs.ts';

assertSupportedNode();
const root = join(import.meta.dirname, '..', '..', '..');
const args = parseBenchArgs(process.argv.slice(2), allSuites.map((s) => s.name));
const scratchDir = await mkdtemp(join(tmpdir(), 'jobmesh-bench-'));
const log = (line: string) => process.stderr.write(`${line}\n`);
log(`bench: ${args.quick ? 'quick' : 'full'} run of ${args.suites.join(', ')} (scratch ${scratchDir})`);
// Its own temp dir, not under scratchDir: the launcher makes that directory reachable for the postgres user.
const pgDir = await mkdtemp(join(tmpdir(), 'jobmesh-bench-pg-'));
const postgres = await startBenchPostgres(pgDir, args.quick);
// Test helpers (createTestDatabase) create their databases on this server instead of starting their own.
process.env.JOBMESH_TEST_PG_URL = postgres.server.url;

const stoppers: (() => Promise<void>)[] = [];
const ctx: BenchContext = {
  quick: args.quick,
  pgAdminUrl: postgres.server.url,
  pgPid: postgres.server.postgresPid,
  scratchDir,
  size: (full, quick) => (args.quick ? quick : full),
  log,
  shared: new Map(),
  onEnd: (stop) => void stoppers.push(stop),
};
const cleanUp = async () => {
  for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => log(`clean-up: ${String(error)}`));
  stoppers.length = 0;
  await postgres.server.stop();
  await rm(scratchDir, { recursive: true, force: true });
  await rm(pgDir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().finally(() => process.exit(130)));

const outcome = await runSuites(args.suites.map((name) => allSuites.find((s) => s.name === name)!), ctx);
const machine = machineInfo(root, postgres.version);
await cleanUp();

process.stdout.write(`\n${renderTable(outcome.results)}\n\n`);
// A quick run must never dirty the repository: without --out it writes to a temp dir.
const docsDir = args.out ?? (args.quick ? await mkdtemp(join(tmpdir(), 'jobmesh-bench-out-')) : join(root, 'docs'));
// A full run of some suites into docs/ keeps the other suites' latest figures.
const merged = args.quick || args.out ? outcome : await mergePreviousResults(docsDir, outcome, machine.date);
const written = await writeOutputs(root, docsDir, machine, merged, args.quick);
log(`wrote ${written.markdown} and ${written.json}`);
// Repeated last, so the tail of the output (all a CI log may keep) says what failed and why.
for (const failure of outcome.failures) log(`FAILED ${failure.suite}: ${failure.error}`);
if (outcome.failures.length) log(`${outcome.failures.length} suite(s) failed: ${outcome.failures.map((f) => f.suite).join(', ')}`);
process.exit(outcome.failures.length ? 1 : 0);
