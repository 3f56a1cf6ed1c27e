import type { BenchContext, Suite, SuiteResult } from './bench-types.ts';
import { fmt } from './render-table.ts';
import { describeError } from './describe-error.ts';
import { SuiteSkipped } from './suite-skipped.ts';

/** Results of the suites that ran, and the errors of those that failed. */
export interface SuitesOutcome {
  results: SuiteResult[];
  failures: { suite: string; error: string }[];
  /** Suites that could not run here, and why. */
  skipped: { suite: string; reason: string }[];
}

/**
 * Runs suites one after another (never in parallel: they would measure each other),
 * printing a progress line as each starts and ends. A failing suite is reported and
 * the others still run, so one broken part does not hide every figure.
 */
export async function runSuites(suites: Suite[], ctx: BenchContext): Promise<SuitesOutcome> {
  const outcome: SuitesOutcome = { results: [], failures: [], skipped: [] };
  for (const [index, suite] of suites.entries()) {
    ctx.log(`[${index + 1}/${suites.length}] ${suite.name} …`);
    const began = performance.now();
    try {
      const result = await suite.run(ctx);
      const durationMs = performance.now() - began;
      outcome.results.push({ suite: suite.name, ...result, durationMs });
      const ratios = result.comparisons.map((c) => `${c.name} ${fmt(c.ratio)}×${c.goal ? (c.met ? ' (goal met)' : ' (goal missed)') : ''}`).join('; ');
      ctx.log(`[${index + 1}/${suites.length}] ${suite.name} done in ${fmt(durationMs / 1000)} s: ${ratios}`);
    } catch (error) {
      if (error instanceof SuiteSkipped) {
        outcome.skipped.push({ suite: suite.name, reason: error.message });
        ctx.log(`[${index + 1}/${suites.length}] ${suite.name} skipped: ${error.message}`);
        continue;
      }
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      outcome.failures.push({ suite: suite.name, error: describeError(error) });
      ctx.log(`[${index + 1}/${suites.length}] ${suite.name} FAILED: ${message}`);
    }
  }
  return outcome;
}
