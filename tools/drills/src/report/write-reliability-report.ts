import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill-result.ts';
import type { DrillArgs } from '../parse-drill-args.ts';
import { renderDrillSection } from './render-drill-section.ts';

const defaultTitle = '# Reliability\n';
const intro = `## Drills

Figures of the last \`npm run drills\` (tools/drills): the real services as processes on
127.0.0.1, process backend, embedded Postgres. Each drill runs alone with
\`npx node tools/drills/src/main.ts <chaos|fuzz|load|soak|hosts> [--quick] [--minutes N] [--out DIR]\`;
a failing drill exits non-zero and says why.
`;

/**
 * Writes RELIABILITY.md into `outDir`: the title (and anything before the first section) of
 * the file already there, the drill sections, then every other section of that file as it
 * was (the Security section of issue 9 belongs to another change and is kept).
 * @returns the path written
 */
export async function writeReliabilityReport(outDir: string, results: DrillResult[], args: DrillArgs): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'RELIABILITY.md');
  const old = existsSync(path) ? await readFile(path, 'utf8') : '';
  const parts = old.split(/^(?=## )/m);
  const preamble = parts[0]!.startsWith('## ') || !parts[0]!.trim() ? defaultTitle : parts[0]!.trimEnd() + '\n';
  const ours = new Set(['## Drills', ...results.map((r) => `## ${r.drill}`)]);
  const title = (part: string) => part.split('\n')[0]!.trim().replace(/ \(.*\)$/, '');
  const kept = parts.filter((part) => part.startsWith('## ') && !ours.has(title(part)));
  const run = `Last run: ${new Date().toISOString()}, ${args.quick ? 'quick' : 'full'}${args.drills.includes('soak') ? `, soak ${args.minutes} min` : ''}; ${results.every((r) => r.passed) ? 'every drill passed' : `FAILED: ${results.filter((r) => !r.passed).map((r) => r.drill).join(', ')}`}.\n`;
  const body = [preamble, intro, run, ...results.map(renderDrillSection), ...kept.map((k) => k.trimEnd() + '\n')].join('\n');
  await writeFile(path, body);
  return path;
}
