import type { Comparison, Figure, Goal } from './bench-types.ts';
import { percentile, summarize } from './summarize.ts';

/** A figure from repetition results, with latency percentiles when `latenciesMs` is given. */
export function figure(label: string, unit: string, samples: number[], latenciesMs?: number[]): Figure {
  const result: Figure = { label, unit, summary: summarize(samples) };
  if (latenciesMs && latenciesMs.length > 0) {
    result.p50Ms = percentile(latenciesMs, 50);
    result.p99Ms = percentile(latenciesMs, 99);
  }
  return result;
}

/** Compares subject with baseline (ratio of medians) and checks the goal, if any. */
export function compare(name: string, subject: Figure, baseline: Figure, goal?: Goal): Comparison {
  const ratio = subject.summary.median / baseline.summary.median;
  const comparison: Comparison = { name, subject, baseline, ratio };
  if (goal) {
    comparison.goal = goal;
    comparison.met = goal.op === '>=' ? ratio >= goal.value : ratio <= goal.value;
  }
  return comparison;
}
