import type { Pipeline, PipelineJob } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { sql } from 'slonik';
import { z } from 'zod';
import { JobStepRow } from '../jobs/job-step-row.ts';
import { pipelineJobStates, pipelineStates } from '../validation/enum-codecs.ts';
import { mergeJobSteps } from './merge-job-steps.ts';

/** A row of `pipelines`, with the exact created_at text used by page cursors. */
export const PipelineRow = z.object({
  id: z.string(),
  repo_url: z.string(),
  commit_sha: z.string(),
  manifest_path: z.string(),
  manifest_sha256: z.string(),
  state: z.string(),
  attempt: z.number(),
  workflow_id: z.string().nullable(),
  error: z.string(),
  trace_id: z.string(),
  created_at: z.date(),
  updated_at: z.date(),
  finished_at: z.date().nullable(),
  cursor_at: z.string(),
});
export type PipelineRow = z.infer<typeof PipelineRow>;

/** Columns selected for a PipelineRow from `pipelines` (alias `p`). */
export const pipelineColumns = sql.fragment`p.id, p.repo_url, p.commit_sha, p.manifest_path, p.manifest_sha256, p.state, p.attempt,
  p.workflow_id, p.error, p.trace_id, p.created_at, p.updated_at, p.finished_at, p.created_at::text AS cursor_at`;

/** A planned step as stored in `pipeline_jobs.steps`. */
export const PlannedStepRow = z.object({ index: z.number(), name: z.string(), kind: z.string(), prompt: z.string() });

/** An approval as stored in `pipeline_jobs.approvals` (by step index). */
export const ApprovalRow = z.object({ by: z.string(), at: z.coerce.date() });

/** What the steps of a pipeline job are merged from. */
export const PipelineJobStepsRow = z.object({
  state: z.string(),
  steps: z.array(PlannedStepRow),
  approvals: z.record(z.string(), ApprovalRow),
  blocked_at: z.date().nullable(),
});
export type PipelineJobStepsRow = z.infer<typeof PipelineJobStepsRow>;

/** A row of `pipeline_jobs` with `run_steps`: the job_steps rows of its job_request_id, as jsonb. */
export const PipelineJobRow = PipelineJobStepsRow.extend({
  key: z.string(),
  position: z.number(),
  manifest_id: z.string(),
  name: z.string(),
  matrix: z.record(z.string(), z.string()),
  runs_on: z.string(),
  needs: z.array(z.string()),
  condition: z.string(),
  concurrency: z.string(),
  reason: z.string(),
  job_request_id: z.string().nullable(),
  runs: z.number(),
  started_at: z.date().nullable(),
  finished_at: z.date().nullable(),
  run_steps: z.array(JobStepRow),
});
export type PipelineJobRow = z.infer<typeof PipelineJobRow>;

/** The proto PipelineJob of a row, its steps merged from plan, approvals and run. */
export function toProtoPipelineJob(row: PipelineJobRow): PipelineJob {
  return {
    key: row.key,
    manifestId: row.manifest_id,
    name: row.name,
    matrix: row.matrix,
    runsOn: row.runs_on,
    needs: row.needs,
    condition: row.condition,
    concurrency: row.concurrency,
    state: pipelineJobStates.fromDb(row.state),
    reason: row.reason,
    jobRequestId: row.job_request_id ?? '',
    runs: row.runs,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    steps: mergeJobSteps(row, row.run_steps),
    position: row.position,
  };
}

/** The proto Pipeline of a row, with the jobs given (none for lists). */
export function toProtoPipeline(row: PipelineRow, jobs: readonly PipelineJobRow[] = []): Pipeline {
  return {
    id: row.id,
    repoUrl: row.repo_url,
    commitSha: row.commit_sha,
    manifestPath: row.manifest_path,
    manifestSha256: row.manifest_sha256,
    state: pipelineStates.fromDb(row.state),
    attempt: row.attempt,
    workflowId: row.workflow_id ?? '',
    error: row.error,
    traceId: row.trace_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at ?? undefined,
    jobs: jobs.map(toProtoPipelineJob),
  };
}
