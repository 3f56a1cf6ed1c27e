import type { Job, JobEvent } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { sql } from 'slonik';
import { z } from 'zod';
import { artifactWhens, jobStates } from '../validation/enum-codecs.ts';

/** A row of `jobs`, with the exact created_at text used by page cursors. */
export const JobRow = z.object({
  request_id: z.string(),
  repo_url: z.string(),
  commit_sha: z.string(),
  runs_on: z.string(),
  script: z.string(),
  env: z.record(z.string(), z.string()),
  timeout_ms: z.number(),
  artifact_patterns: z.array(z.string()),
  artifact_when: z.string(),
  artifact_manifest: z.string(),
  state: z.string(),
  exit_code: z.number().nullable(),
  error: z.string(),
  workflow_id: z.string().nullable(),
  trace_id: z.string(),
  last_event_sequence: z.number(),
  created_at: z.date(),
  updated_at: z.date(),
  started_at: z.date().nullable(),
  finished_at: z.date().nullable(),
  pipeline_id: z.string().nullable(),
  pipeline_job_key: z.string().nullable(),
  cursor_at: z.string(),
});
export type JobRow = z.infer<typeof JobRow>;

/** Columns selected for a JobRow from `jobs` (alias `j`). */
export const jobColumns = sql.fragment`j.request_id, j.repo_url, j.commit_sha, j.runs_on, j.script, j.env, j.timeout_ms,
  j.artifact_patterns, j.artifact_when, j.artifact_manifest, j.state, j.exit_code, j.error, j.workflow_id, j.trace_id, j.last_event_sequence,
  j.created_at, j.updated_at, j.started_at, j.finished_at, j.pipeline_id, j.pipeline_job_key, j.created_at::text AS cursor_at`;

/** A row of `job_events`. */
export const JobEventRow = z.object({
  sequence: z.number(),
  request_id: z.string(),
  from_state: z.string().nullable(),
  to_state: z.string(),
  message: z.string(),
  created_at: z.date(),
});
export type JobEventRow = z.infer<typeof JobEventRow>;

/** The proto Job of a row. */
export function toProtoJob(row: JobRow): Job {
  return {
    spec: {
      requestId: row.request_id,
      repoUrl: row.repo_url,
      commitSha: row.commit_sha,
      runsOn: row.runs_on,
      script: row.script,
      env: row.env,
      timeoutMs: row.timeout_ms,
      artifactPatterns: row.artifact_patterns,
      artifactWhen: artifactWhens.fromDb(row.artifact_when),
    },
    state: jobStates.fromDb(row.state),
    exitCode: row.exit_code ?? undefined,
    error: row.error,
    workflowId: row.workflow_id ?? '',
    traceId: row.trace_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    lastEventSequence: row.last_event_sequence,
    artifactManifest: row.artifact_manifest,
    pipelineId: row.pipeline_id ?? '',
    pipelineJobKey: row.pipeline_job_key ?? '',
  };
}

/** The proto JobEvent of a row. */
export function toProtoJobEvent(row: JobEventRow): JobEvent {
  return {
    sequence: row.sequence,
    requestId: row.request_id,
    fromState: jobStates.fromDb(row.from_state),
    toState: jobStates.fromDb(row.to_state),
    message: row.message,
    createdAt: row.created_at,
  };
}
