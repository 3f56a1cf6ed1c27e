import type { Summary } from './summarize.ts';

/** One side of a comparison: a figure measured several times. */
export interface Figure {
  /** What was run, e.g. `fsops Transfer COPY` or `cp --reflink=auto`. */
  label: string;
  /** Unit of the summary, e.g. `MB/s`, `ms`, `ops/s`. */
  unit: string;
  summary: Summary;
  /** Per-operation latency percentiles in ms, where latencies apply. */
  p50Ms?: number;
  p99Ms?: number;
}

/** A goal on a ratio (subject / baseline medians). */
export interface Goal {
  op: '>=' | '<=';
  value: number;
  /** The goal in words, as written in the issue. */
  text: string;
}

/** A figure of jobmesh against a baseline measured in the same run. */
export interface Comparison {
  name: string;
  subject: Figure;
  baseline: Figure;
  /** subject median / baseline median. */
  ratio: number;
  goal?: Goal;
  /** Whether the ratio meets the goal; absent when there is no goal. */
  met?: boolean;
}

/** What one suite reports. */
export interface SuiteResult {
  suite: string;
  /** What was measured, in a sentence or two. */
  what: string;
  comparisons: Comparison[];
  /** Observations, what was tried where a goal was missed, why something could not run. */
  notes: string[];
  /** Markdown shown after the notes (e.g. a trace breakdown). */
  details?: string[];
  durationMs: number;
  /** When it was measured (ISO); differs from the run's date for a result carried over from an earlier run. */
  measuredAt?: string;
}

/** What a suite runs with. */
export interface BenchContext {
  quick: boolean;
  /** Superuser URL of the `postgres` database of the bench's own Postgres. */
  pgAdminUrl: string;
  /** Pid of that Postgres' postmaster (CPU accounting). */
  pgPid?: number;
  /** A scratch directory of this run, removed at the end. */
  scratchDir: string;
  /** Picks the full-run or quick-run value. */
  size<T>(full: T, quick: T): T;
  /** A progress line (stderr, so stdout keeps the table). */
  log(line: string): void;
  /** Resources shared between suites of one run (started on first use, stopped at the end). */
  shared: Map<string, unknown>;
  /** Stoppers run at the end of the run, last first. */
  onEnd(stop: () => Promise<void>): void;
}

/** A benchmark suite: `npm run bench -- <name>` runs it alone. */
export interface Suite {
  name: string;
  run(ctx: BenchContext): Promise<Omit<SuiteResult, 'suite' | 'durationMs'>>;
}
