import type { Comparison, Figure, SuiteResult } from './bench-types.ts';

/** A number with 3 significant digits (no exponent for big ones). */
export function fmt(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(3)).toString();
}

/**
 * `median unit ±spread%`, and `p50/p99` when there are latencies. One reading has no spread to
 * show, and readings that all came out the same say so instead of "±0%".
 */
export function describeFigure(f: Figure): string {
  const latency = f.p50Ms !== undefined ? ` (p50 ${fmt(f.p50Ms)} / p99 ${fmt(f.p99Ms)} ms)` : '';
  const spread = f.summary.n === 1 ? ' (one reading)'
    : fmt(f.summary.spreadPct / 2) === '0' ? ` (${f.summary.n} readings, all the same)` : ` ±${fmt(f.summary.spreadPct / 2)}%`;
  return `${fmt(f.summary.median)} ${f.unit}${spread}${latency}`;
}

/** Goal in a cell: `≥ 2 ✔`, `≤ 1.3 ✘`, or `–`. */
export function describeGoal(c: Comparison): string {
  if (!c.goal) return '–';
  return `${c.goal.op === '>=' ? '≥' : '≤'} ${c.goal.value} ${c.met ? 'met' : 'MISSED'}`;
}

/** One row per comparison: suite | figure | jobmesh | baseline | ratio | goal. */
export function tableRows(results: SuiteResult[]): string[][] {
  return results.flatMap((r) => r.comparisons.map((c) => [
    r.suite, c.name, `${c.subject.label}: ${describeFigure(c.subject)}`, `${c.baseline.label}: ${describeFigure(c.baseline)}`, `${fmt(c.ratio)}×`, describeGoal(c),
  ]));
}

/** A plain-text table for the terminal. */
export function renderTable(results: SuiteResult[]): string {
  const header = ['suite', 'figure', 'jobmesh', 'baseline', 'ratio', 'goal'];
  const rows = [header, ...tableRows(results)];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}
