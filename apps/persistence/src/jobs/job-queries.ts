import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { channels } from '../db/create-notification-hub.ts';
import type { PageCursor } from '../validation/page-token.ts';
import { JobEventRow, JobRow, jobColumns } from './job-row.ts';

/** A validated job to insert. */
export interface NewJob {
  requestId: string;
  repoUrl: string;
  commitSha: string;
  runsOn: string;
  script: string;
  env: Record<string, string>;
  timeoutMs: number;
  artifactPatterns: string[];
  /** Postgres label of artifact_when (UNSPECIFIED already made `on_success`). */
  artifactWhen: string;
  workflowId: string | null;
  traceId: string;
  /** The pipeline (and its job's key) the job runs for; both null for a job submitted alone. */
  pipelineId: string | null;
  pipelineJobKey: string | null;
}

/** Inserts a job with its creation event; null when the request_id exists already. */
export async function insertJob(db: CommonQueryMethods, job: NewJob): Promise<JobRow | null> {
  return db.maybeOne(sql.type(JobRow)`
    WITH j AS (
      INSERT INTO jobs (request_id, repo_url, commit_sha, runs_on, script, env, timeout_ms, artifact_patterns,
                        artifact_when, workflow_id, trace_id, pipeline_id, pipeline_job_key, last_event_sequence)
      VALUES (${job.requestId}, ${job.repoUrl}, ${job.commitSha}, ${job.runsOn}, ${job.script}, ${sql.jsonb(job.env)},
              ${job.timeoutMs}, ${sql.array(job.artifactPatterns, 'text')}, ${job.artifactWhen}::artifact_when,
              ${job.workflowId}, ${job.traceId}, ${job.pipelineId}, ${job.pipelineJobKey},
              nextval('job_events_sequence_seq'))
      ON CONFLICT (request_id) DO NOTHING
      RETURNING *
    ), e AS (
      INSERT INTO job_events (sequence, request_id, from_state, to_state, message)
      SELECT last_event_sequence, request_id, NULL, 'queued', 'job created' FROM j
    )
    SELECT ${jobColumns} FROM j`);
}

/** Reads one job. */
export async function findJob(db: CommonQueryMethods, requestId: string): Promise<JobRow | null> {
  return db.maybeOne(sql.type(JobRow)`SELECT ${jobColumns} FROM jobs j WHERE j.request_id = ${requestId}`);
}

/** A compare-and-set transition. */
export interface JobTransition {
  requestId: string;
  expectedState: string;
  newState: string;
  message: string;
  exitCode: number | null;
  error: string;
  terminal: boolean;
}

const TransitionRow = JobRow.extend({ event_created_at: z.date() });

/**
 * Moves the job only if it is still in expectedState (the row lock makes two
 * racing writers serialize; the loser re-checks and matches nothing), records
 * the event with the same sequence the job keeps, and notifies followers.
 */
export async function transitionJob(db: CommonQueryMethods, t: JobTransition, options: { aloneOnly?: boolean } = {}) {
  // aloneOnly: only a job with nothing to settle beside its row (no pipeline, no open step, no
  // concurrency hold), so a final transition needs no transaction of its own.
  const alone = options.aloneOnly
    ? sql.fragment`AND pipeline_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM job_steps s WHERE s.job_request_id = jobs.request_id AND s.state IN ('pending', 'running'))
        AND NOT EXISTS (SELECT 1 FROM concurrency_holds h WHERE h.job_request_id = jobs.request_id)`
    : sql.fragment``;
  return db.maybeOne(sql.type(TransitionRow)`
    WITH j AS (
      UPDATE jobs SET
        state = ${t.newState}::job_state,
        exit_code = COALESCE(${t.exitCode}::integer, exit_code),
        error = CASE WHEN ${t.error} = '' THEN error ELSE ${t.error} END,
        started_at = COALESCE(started_at, CASE WHEN ${t.newState} <> 'queued' THEN now() END),
        finished_at = CASE WHEN ${t.terminal} THEN now() END,
        last_event_sequence = nextval('job_events_sequence_seq')
      WHERE request_id = ${t.requestId} AND state = ${t.expectedState}::job_state ${alone}
      RETURNING *
    ), e AS (
      INSERT INTO job_events (sequence, request_id, from_state, to_state, message)
      SELECT last_event_sequence, request_id, ${t.expectedState}::job_state, state, ${t.message} FROM j
      RETURNING created_at
    )
    SELECT ${jobColumns}, e.created_at AS event_created_at, pg_notify(${channels.job}, j.request_id::text)::text AS notified
    FROM j, e`);
}

/** Sets workflow and trace ids where given. */
export async function updateJobLinks(db: CommonQueryMethods, requestId: string, workflowId: string | null, traceId: string) {
  return db.maybeOne(sql.type(JobRow)`
    WITH j AS (
      UPDATE jobs SET workflow_id = COALESCE(${workflowId}::uuid, workflow_id),
                      trace_id = CASE WHEN ${traceId} = '' THEN trace_id ELSE ${traceId} END
      WHERE request_id = ${requestId} RETURNING *
    )
    SELECT ${jobColumns} FROM j`);
}

/** Filters of listJobs. */
export interface JobFilter {
  states: string[];
  runsOn: string;
  repoUrl: string;
  limit: number;
  after: PageCursor | null;
}

/** Lists jobs newest first; fetches limit + 1 rows so the caller knows if a next page exists. */
export async function listJobs(db: CommonQueryMethods, f: JobFilter) {
  const conditions = [sql.fragment`TRUE`];
  if (f.states.length) conditions.push(sql.fragment`j.state = ANY(${sql.array(f.states, 'text')}::job_state[])`);
  if (f.runsOn) conditions.push(sql.fragment`j.runs_on = ${f.runsOn}`);
  if (f.repoUrl) conditions.push(sql.fragment`j.repo_url = ${f.repoUrl}`);
  if (f.after) conditions.push(sql.fragment`(j.created_at, j.request_id) < (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
  return db.any(sql.type(JobRow)`
    SELECT ${jobColumns} FROM jobs j WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY j.created_at DESC, j.request_id DESC LIMIT ${f.limit + 1}`);
}

/** Lists a job's events after a sequence (and up to one, when given), oldest first. */
export async function listJobEvents(db: CommonQueryMethods, requestId: string, afterSequence: number, limit: number, upToSequence = Number.MAX_SAFE_INTEGER) {
  return db.any(sql.type(JobEventRow)`
    SELECT sequence, request_id, from_state, to_state, message, created_at FROM job_events
    WHERE request_id = ${requestId} AND sequence > ${afterSequence} AND sequence <= ${upToSequence}
    ORDER BY sequence LIMIT ${limit}`);
}

/**
 * Jobs in some states (and of a label), counted up to `limit` in one statement: the inner LIMIT
 * lets Postgres stop early (jobs_state_idx), so a huge queue costs no more than the limit.
 */
export async function countJobs(db: CommonQueryMethods, f: { states: string[]; runsOn: string; limit: number }) {
  const conditions = [sql.fragment`TRUE`];
  if (f.states.length) conditions.push(sql.fragment`j.state = ANY(${sql.array(f.states, 'text')}::job_state[])`);
  if (f.runsOn) conditions.push(sql.fragment`j.runs_on = ${f.runsOn}`);
  return db.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int8 AS count FROM (SELECT 1 FROM jobs j WHERE ${sql.join(conditions, sql.fragment` AND `)} LIMIT ${f.limit}) counted`);
}

/** QUEUED jobs of the same label created before this one (first in, first out). */
export async function countQueuedAhead(db: CommonQueryMethods, requestId: string) {
  return db.maybeOne(sql.type(z.object({ jobs_ahead: z.number(), state: z.string() }))`
    SELECT (SELECT count(*) FROM jobs q
            WHERE q.state = 'queued' AND q.runs_on = j.runs_on
              AND (q.created_at, q.request_id) < (j.created_at, j.request_id))::int8 AS jobs_ahead, j.state::text AS state
    FROM jobs j WHERE j.request_id = ${requestId}`);
}
