import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { MachineInfo } from './machine-info.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { SuitesOutcome } from './run-suites.ts';

/**
 * Writes `<docsDir>/BENCHMARKS.md` and `<docsDir>/bench/<date>.json` (raw numbers: every sample).
 * @returns both paths
 */
export async function writeOutputs(root: string, docsDir: string, machine: MachineInfo, outcome: SuitesOutcome, quick: boolean): Promise<{ markdown: string; json: string }> {
  const stamp = machine.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const json = join(docsDir, 'bench', `${stamp}${quick ? '-quick' : ''}.json`);
  const markdown = join(docsDir, 'BENCHMARKS.md');
  await mkdir(join(docsDir, 'bench'), { recursive: true });
  await writeFile(json, JSON.stringify({ machine, quick, ...outcome }, null, 2) + '\n');
  const jsonPath = relative(root, json).startsWith('..') ? json : relative(root, json);
  await writeFile(markdown, renderMarkdown({ machine, results: outcome.results, failures: outcome.failures, skipped: outcome.skipped, quick, jsonPath }));
  return { markdown, json };
}
