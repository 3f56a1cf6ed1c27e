import { parseUvuTotals } from './parse-uvu-totals.ts';
import { skipMarker } from './skip-marker.ts';

/** How one test file ended. */
export interface TestFileEnd {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

/** Counts of one test file, each 0 or more. */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Reasons printed by `skipTest`, in order. */
  skipReasons: string[];
}

const markerLine = new RegExp(`^${skipMarker.replace(/[[\]]/g, '\\$&')} (.*)$`, 'gm');

/**
 * Turns a test file's output and exit into counts. uvu's `Total` already leaves out skipped
 * tests, so failed = total - passed. Runtime skips (`skipTest` marker lines) move from passed to
 * skipped. A file that exits non-zero, times out or prints no totals counts at least one
 * failure, and so does one that declared no test at all: nothing broken can pass silently.
 */
export function countTestResults({ output, exitCode, timedOut }: TestFileEnd): TestCounts {
  const totals = parseUvuTotals(output);
  const skipReasons = [...output.matchAll(markerLine)].map((m) => m[1]!.trim());
  const runtimeSkips = Math.min(skipReasons.length, totals?.passed ?? 0);
  const passed = (totals?.passed ?? 0) - runtimeSkips;
  const skipped = (totals?.skipped ?? 0) + runtimeSkips;
  let failed = totals ? Math.max(0, totals.total - totals.passed) : 0;
  if ((exitCode !== 0 || timedOut || !totals) && failed === 0) failed = 1;
  if (totals && totals.total === 0 && totals.skipped === 0 && failed === 0) failed = 1;
  return { passed, failed, skipped, skipReasons };
}
