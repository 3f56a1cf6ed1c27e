import { maxArtifactPatterns } from '@jobmesh/artifacts';

/** The bounds a manifest must stay within; each one broken is reported as a problem. */
export const manifestLimits = {
  /** Largest manifest accepted, in bytes (UTF-8); a larger one is a single problem at line 1. */
  maxBytes: 256 * 1024,
  /** Most job ids under `jobs`, and most planned jobs after matrix expansion of the whole pipeline. */
  maxJobs: 256,
  /** Most combinations one matrix job may expand into. */
  maxCombinationsPerJob: 256,
  /** Most axes of one matrix. */
  maxMatrixAxes: 16,
  /** Most values of one matrix axis. */
  maxMatrixValues: 64,
  /** Most steps of one job. */
  maxSteps: 100,
  /** Most artifact patterns of one job (the limit of `@jobmesh/artifacts`). */
  maxArtifactPatterns,
  /** Longest `runs_on` label, after matrix interpolation. */
  maxLabelLength: 128,
  /** Most reruns after infrastructure failures. */
  maxRetry: 10,
  /** Shortest and longest job timeout. */
  minTimeoutMs: 1000,
  maxTimeoutMs: 7 * 24 * 3_600_000,
} as const;
