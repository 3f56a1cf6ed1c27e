/** Retention of each kind in days; 0 keeps that kind forever (logs and artifacts: as long as their job). */
export interface RetentionDays {
  jobs: number;
  logs: number;
  artifacts: number;
  vms: number;
  fsJobs: number;
  mirrors: number;
}

/** The cutoff of each kind: what ended (mirrors: was last used) before it goes; null keeps the kind. */
export type RetentionCutoffs = { [K in keyof RetentionDays]: Date | null };

const dayMs = 24 * 3_600_000;

/** Cutoffs `days` before `now`; `olderThan`, when given, is every kind's cutoff instead. */
export function retentionCutoffs(days: RetentionDays, now: number, olderThan?: Date): RetentionCutoffs {
  const cutoff = (d: number) => (olderThan ?? (d > 0 ? new Date(now - d * dayMs) : null));
  return {
    jobs: cutoff(days.jobs), logs: cutoff(days.logs), artifacts: cutoff(days.artifacts),
    vms: cutoff(days.vms), fsJobs: cutoff(days.fsJobs), mirrors: cutoff(days.mirrors),
  };
}
