import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SuiteResult } from './bench-types.ts';
import type { SuitesOutcome } from './run-suites.ts';

/**
 * Adds, for every suite this run did not measure, its result from the newest full-run JSON
 * in `<docsDir>/bench`, so `npm run bench -- fsops` refreshes one suite in BENCHMARKS.md
 * without dropping the others. Carried results keep the date they were measured.
 */
export async function mergePreviousResults(docsDir: string, outcome: SuitesOutcome, date: string): Promise<SuitesOutcome> {
  const stamped = outcome.results.map((r) => ({ ...r, measuredAt: r.measuredAt ?? date }));
  const files = (await readdir(join(docsDir, 'bench')).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && !f.includes('quick')).sort();
  const newest = files.at(-1);
  if (!newest) return { ...outcome, results: stamped };
  const previous = JSON.parse(await readFile(join(docsDir, 'bench', newest), 'utf8')) as { machine: { date: string }; results: SuiteResult[] };
  const ran = new Set([...outcome.results, ...outcome.failures, ...outcome.skipped].map((r) => r.suite));
  const carried = previous.results.filter((r) => !ran.has(r.suite)).map((r) => ({ ...r, measuredAt: r.measuredAt ?? previous.machine.date }));
  return { ...outcome, results: [...stamped, ...carried] };
}
