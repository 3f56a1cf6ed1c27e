/** What one drill reports: its figures (printed and written to docs/RELIABILITY.md) and why it failed, if it did. */
export interface DrillResult {
  drill: 'chaos' | 'fuzz' | 'load' | 'soak' | 'hosts';
  /** True when every pass condition held. */
  passed: boolean;
  /** Counts and measures, in print order. */
  figures: Record<string, number | string>;
  /** One line per broken pass condition; empty when passed. */
  problems: string[];
  /** Optional table rows (e.g. calls per status code, RSS per service). */
  tables?: Record<string, Record<string, number | string>[]>;
}

/** Prints a result as aligned lines plus its tables, for a person reading the terminal. */
export function printDrillResult(result: DrillResult): void {
  const lines = [`== ${result.drill}: ${result.passed ? 'PASS' : 'FAIL'}`];
  for (const [name, value] of Object.entries(result.figures)) lines.push(`  ${name.padEnd(34)} ${value}`);
  for (const [name, rows] of Object.entries(result.tables ?? {})) {
    lines.push(`  ${name}:`);
    for (const row of rows) lines.push(`    ${Object.entries(row).map(([k, v]) => `${k}=${v}`).join('  ')}`);
  }
  for (const problem of result.problems) lines.push(`  PROBLEM: ${problem}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
