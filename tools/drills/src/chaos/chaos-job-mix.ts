import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { join } from 'node:path';

/** What a chaos job does and how it must end. */
export type ChaosKind = 'succeed' | 'fail' | 'time-out' | 'cancel';

/** One job of the drill. */
export interface ChaosJob {
  index: number;
  requestId: string;
  kind: ChaosKind;
  script: string;
  timeoutMs: number;
  /** File the script appends one line to each time it runs. */
  marker: string;
  expectedState: JobState;
  /** How many runs the marker may show: succeed/fail ran exactly once; a cancelled or timed-out job at most once. */
  runs: { min: number; max: number };
}

/** Six in ten succeed, two fail with 3, one times out, one is cancelled: every outcome, under kills. */
const kinds: ChaosKind[] = ['succeed', 'fail', 'succeed', 'time-out', 'succeed', 'cancel', 'succeed', 'fail', 'succeed', 'succeed'];

/** The drill's jobs, each with a marker file under `markersDir`. */
export function chaosJobMix(count: number, markersDir: string, newId: () => string): ChaosJob[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = kinds[index % kinds.length]!;
    const marker = join(markersDir, `job-${index}`);
    const count = `echo run >> ${marker}; echo "job ${index} started"`;
    const base = { index, requestId: newId(), kind, marker };
    switch (kind) {
      case 'succeed':
        return { ...base, script: `${count}; sleep 0.3; echo "job ${index} done"`, timeoutMs: 600_000, expectedState: JobState.JOB_STATE_SUCCEEDED, runs: { min: 1, max: 1 } };
      case 'fail':
        return { ...base, script: `${count}; sleep 0.2; echo "job ${index} fails" >&2; exit 3`, timeoutMs: 600_000, expectedState: JobState.JOB_STATE_FAILED, runs: { min: 1, max: 1 } };
      case 'time-out':
        // The timeout counts from submission, so a job still queued when it passes never runs.
        return { ...base, script: `${count}; sleep 120`, timeoutMs: 20_000, expectedState: JobState.JOB_STATE_TIMED_OUT, runs: { min: 0, max: 1 } };
      case 'cancel':
        return { ...base, script: `${count}; sleep 120`, timeoutMs: 600_000, expectedState: JobState.JOB_STATE_CANCELLED, runs: { min: 0, max: 1 } };
    }
  });
}
