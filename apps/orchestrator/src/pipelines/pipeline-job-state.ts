/** Where a pipeline job is, as the pipeline's workflow tracks it. */
export type PipelineJobStatus = 'pending' | 'blocked' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** The terminal statuses of a pipeline job. */
export const endedStatuses: ReadonlySet<PipelineJobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

/** What the workflow knows of one job. */
export interface TrackedJob {
  status: PipelineJobStatus;
  reason: string;
  /** Job of the latest run ('' before it ran). */
  jobRequestId: string;
  /** Runs in this attempt (infrastructure retries included). */
  runs: number;
  /** Runs before this attempt (kept across RetryPipeline). */
  earlierRuns: number;
}
