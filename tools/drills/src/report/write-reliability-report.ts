import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrillResult } from '../drill-result.ts';
import type { DrillArgs } from '../parse-drill-args.ts';
import { renderDrillSection } from './render-drill-section.ts';

const header = `# Reliability

Figures of the last \`npm run drills\` (tools/drills): the real services as processes on
127.0.0.1, process backend, embedded Postgres. Each drill runs alone with
\`npx node tools/drills/src/main.ts <chaos|fuzz|load|soak> [--quick] [--minutes N] [--out DIR]\`.
`;

/**
 * Writes RELIABILITY.md into `outDir`: the drill figures, then any section from the file
 * already there that is not a drill's (the Security section of issue 9 is kept as it is).
 * @returns the path written
 */
export async function writeReliabilityReport(outDir: string, results: DrillResult[], args: DrillArgs): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, 'RELIABILITY.md');
  const old = existsSync(path) ? await readFile(path, 'utf8') : '';
  const drillTitles = new Set(['## Drills', ...results.map((r) => `## ${r.drill}`)]);
  // Sections are "## " headings; keep every one we do not write.
  const kept = old.split(/^(?=## )/m).filter((part) => part.startsWith('## ') && !drillTitles.has(part.split('\n')[0]!.trim().replace(/ \(.*\)$/, '')));
  const run = `Run: ${new Date().toISOString()}, ${args.quick ? 'quick' : 'full'}; ${results.every((r) => r.passed) ? 'every drill passed' : `FAILED: ${results.filter((r) => !r.passed).map((r) => r.drill).join(', ')}`}.\n`;
  const body = [header, run, ...results.map(renderDrillSection), ...kept.map((k) => k.trimEnd() + '\n')].join('\n');
  await writeFile(path, body);
  return path;
}
