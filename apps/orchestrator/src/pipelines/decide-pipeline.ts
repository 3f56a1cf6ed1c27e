import type { PipelineJobSpec } from './pipeline-job-spec.ts';
import { endedStatuses, type PipelineJobStatus, type TrackedJob } from './pipeline-job-state.ts';

/** What the pipeline's workflow does next: jobs to start and states to record. */
export interface PipelineDecision {
  /** Keys of jobs to start now (a new run each). */
  start: string[];
  /** Jobs whose state changes without a run: blocked, skipped, cancelled. */
  changes: Array<{ key: string; status: 'blocked' | 'skipped' | 'cancelled'; reason: string }>;
}

/** What the decision looks at besides the jobs: approvals and cancellation. */
export interface PipelineFacts {
  /** Approved block step indexes per job key. */
  approvals: ReadonlyMap<string, ReadonlySet<number>>;
  /** A cancellation was asked for. */
  cancelled: boolean;
}

/**
 * Decides, from the plan and what is known now, which waiting jobs start, wait for an approval, or
 * never run. Pure and deterministic (plan order), so a replayed workflow decides the same.
 * - `if: success` runs once every need succeeded; is skipped as soon as one did not.
 * - `if: failure` runs once every need ended and one failed (or timed out); else skipped.
 * - `if: always` runs once every need ended.
 * A job whose needs are met waits (blocked) until all its block steps are approved. After a
 * cancellation nothing starts: pending and blocked jobs are cancelled.
 */
export function decidePipeline(plan: readonly PipelineJobSpec[], jobs: ReadonlyMap<string, TrackedJob>, facts: PipelineFacts): PipelineDecision {
  const decision: PipelineDecision = { start: [], changes: [] };
  // Decisions of this pass, seen by the jobs after them: the plan is in topological order, so a
  // skip travels down the whole graph in one pass.
  const decided = new Map<string, PipelineJobStatus>();
  const statusOf = (key: string): PipelineJobStatus => decided.get(key) ?? jobs.get(key)!.status;
  const change = (key: string, status: 'blocked' | 'skipped' | 'cancelled', reason: string) => {
    decision.changes.push({ key, status, reason });
    decided.set(key, status);
  };
  for (const spec of plan) {
    const job = jobs.get(spec.key)!;
    if (job.status !== 'pending' && job.status !== 'blocked') continue;
    if (facts.cancelled) {
      change(spec.key, 'cancelled', 'the pipeline was cancelled before the job started');
      continue;
    }
    const needs = spec.needs.map((key) => ({ key, job: { status: statusOf(key) } }));
    const notSucceeded = needs.filter((n) => endedStatuses.has(n.job.status) && n.job.status !== 'succeeded');
    const allEnded = needs.every((n) => endedStatuses.has(n.job.status));
    let skip = '';
    let ready = false;
    if (spec.if === 'success') {
      if (notSucceeded.length) skip = `needs ${notSucceeded.map((n) => `${n.key} (${n.job.status})`).join(', ')}`;
      else ready = allEnded;
    } else if (allEnded) {
      const failed = needs.filter((n) => n.job.status === 'failed');
      if (spec.if === 'failure' && failed.length === 0) skip = 'if: failure() and no need failed';
      else ready = true;
    }
    if (skip) {
      change(spec.key, 'skipped', skip);
      continue;
    }
    if (!ready) continue;
    const approved = facts.approvals.get(spec.key) ?? new Set<number>();
    const waiting = spec.steps.filter((s) => s.kind === 'block' && !approved.has(s.index));
    if (waiting.length) {
      if (job.status !== 'blocked') change(spec.key, 'blocked', `waits for approval of ${waiting.map((s) => `"${s.name}"`).join(', ')}`);
      continue;
    }
    decision.start.push(spec.key);
    decided.set(spec.key, 'running');
  }
  return decision;
}
