import type { TestCounts } from './count-test-results.ts';

/** The closing line of a test run and the exit code that goes with it. */
export interface RunSummary {
  /** `N passed, N failed, N skipped` */
  line: string;
  /** 1 when any test failed or no test file was found, else 0. */
  exitCode: number;
}

/** Adds up the counts of every file of a run. */
export function summarizeResults(results: TestCounts[]): RunSummary {
  const sum = (key: 'passed' | 'failed' | 'skipped') => results.reduce((n, r) => n + r[key], 0);
  const [passed, failed, skipped] = [sum('passed'), sum('failed'), sum('skipped')];
  return { line: `${passed} passed, ${failed} failed, ${skipped} skipped`, exitCode: failed > 0 || results.length === 0 ? 1 : 0 };
}
