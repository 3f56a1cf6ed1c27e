const ansi = /\x1b\[[0-9;]*m/g;
const totalsBlock = /Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/g;

/** uvu's closing totals of one process. */
export interface UvuTotals {
  /** Tests that ran: those of `.only` where a suite has any, else all but `test.skip`. */
  total: number;
  /** Tests that ran and passed (a runtime skip included: see `skipTest`). */
  passed: number;
  /** `test.skip` tests, plus every non-`.only` test of a suite that has `.only`. */
  skipped: number;
}

/**
 * Reads uvu's closing block (`Total: N`, `Passed: N`, `Skipped: N`, in that order), the last
 * one when the output holds several (a test may print another run's output).
 * @returns null when there is none: the process crashed, hung or was not a uvu file
 */
export function parseUvuTotals(output: string): UvuTotals | null {
  const blocks = [...output.replace(ansi, '').matchAll(totalsBlock)];
  const last = blocks.at(-1);
  if (!last) return null;
  return { total: Number(last[1]), passed: Number(last[2]), skipped: Number(last[3]) };
}
