/** Median and spread of repeated measurements, plus latency percentiles. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, in percent: how much the repetitions disagree. */
  spreadPct: number;
  /** Number of repetitions. */
  n: number;
  samples: number[];
}

/** The `p`-th percentile (0-100) by nearest rank; NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median, min, max and spread of repetition results. @throws Error on no samples (a suite that measured nothing is a bug) */
export function summarize(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest-rank picks the lower middle; a true median averages the two middles.
  const mid = sorted.length / 2;
  const trueMedian = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { median: trueMedian, min, max, spreadPct: trueMedian === 0 ? 0 : ((max - min) / Math.abs(trueMedian)) * 100, n: samples.length, samples };
}
