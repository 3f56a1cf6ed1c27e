import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { PageCursor } from '../validation/page-token.ts';
import { PipelineJobRow, PipelineRow, pipelineColumns } from './pipeline-row.ts';
import type { NewPipeline } from './validate-create-pipeline.ts';

/** Inserts a RUNNING pipeline at attempt 1 and its PENDING jobs; null when the id exists already. */
export async function insertPipeline(db: CommonQueryMethods, p: NewPipeline): Promise<PipelineRow | null> {
  const row = await db.maybeOne(sql.type(PipelineRow)`
    WITH p AS (
      INSERT INTO pipelines (id, repo_url, commit_sha, manifest_path, manifest_sha256, workflow_id, trace_id)
      VALUES (${p.id}, ${p.repoUrl}, ${p.commitSha}, ${p.manifestPath}, ${p.manifestSha256}, ${p.workflowId}, ${p.traceId})
      ON CONFLICT (id) DO NOTHING
      RETURNING *
    )
    SELECT ${pipelineColumns} FROM p`);
  if (!row) return null;
  const jobs = p.jobs.map((j) => ({
    key: j.key, position: j.position, manifest_id: j.manifestId, name: j.name, matrix: j.matrix, runs_on: j.runsOn, needs: j.needs,
    condition: j.condition, concurrency: j.concurrency, steps: j.steps.map((step) => ({ ...step })),
  }));
  await db.query(sql.unsafe`
    INSERT INTO pipeline_jobs (pipeline_id, key, position, manifest_id, name, matrix, runs_on, needs, condition, concurrency, steps)
    SELECT ${p.id}, j.key, j.position, j.manifest_id, j.name, j.matrix, j.runs_on, ARRAY(SELECT jsonb_array_elements_text(j.needs)),
           j.condition, j.concurrency, j.steps
    FROM jsonb_to_recordset(${sql.jsonb(jobs)}) AS j(key text, position int4, manifest_id text, name text, matrix jsonb,
         runs_on text, needs jsonb, condition text, concurrency text, steps jsonb)`);
  return row;
}

/** Reads one pipeline (without jobs). */
export async function findPipeline(db: CommonQueryMethods, id: string): Promise<PipelineRow | null> {
  return db.maybeOne(sql.type(PipelineRow)`SELECT ${pipelineColumns} FROM pipelines p WHERE p.id = ${id}`);
}

/** Reads one pipeline and locks it until the transaction ends (attempts and job updates serialize on it). */
export async function lockPipeline(db: CommonQueryMethods, id: string): Promise<PipelineRow | null> {
  return db.maybeOne(sql.type(PipelineRow)`SELECT ${pipelineColumns} FROM pipelines p WHERE p.id = ${id} FOR UPDATE`);
}

/** A pipeline's jobs in plan order, each with the job_steps rows of its current job, in one statement. */
export async function findPipelineJobs(db: CommonQueryMethods, pipelineId: string) {
  return db.any(sql.type(PipelineJobRow)`
    SELECT pj.key, pj.position, pj.manifest_id, pj.name, pj.matrix, pj.runs_on, pj.needs, pj.condition, pj.concurrency,
           pj.steps, pj.state, pj.reason, pj.job_request_id, pj.runs, pj.started_at, pj.finished_at, pj.blocked_at, pj.approvals,
           coalesce((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.index) FROM job_steps s WHERE s.job_request_id = pj.job_request_id),
                    '[]'::jsonb) AS run_steps
    FROM pipeline_jobs pj WHERE pj.pipeline_id = ${pipelineId} ORDER BY pj.position`);
}

/** Filters of listPipelines. */
export interface PipelineFilter {
  states: string[];
  repoUrl: string;
  limit: number;
  after: PageCursor | null;
}

/** Lists pipelines newest first; fetches limit + 1 rows so the caller knows if a next page exists. */
export async function listPipelines(db: CommonQueryMethods, f: PipelineFilter) {
  const conditions = [sql.fragment`TRUE`];
  if (f.states.length) conditions.push(sql.fragment`p.state = ANY(${sql.array(f.states, 'text')}::pipeline_state[])`);
  if (f.repoUrl) conditions.push(sql.fragment`p.repo_url = ${f.repoUrl}`);
  if (f.after) conditions.push(sql.fragment`(p.created_at, p.id) < (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
  return db.any(sql.type(PipelineRow)`
    SELECT ${pipelineColumns} FROM pipelines p WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY p.created_at DESC, p.id DESC LIMIT ${f.limit + 1}`);
}

/** A validated change of one pipeline job (state as its Postgres label; null keeps the stored value). */
export interface PipelineJobChange {
  key: string;
  state: string;
  reason: string;
  jobRequestId: string | null;
  runs: number;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const Key = z.object({ key: z.string() });

/**
 * Applies changes to a pipeline's jobs (blocked_at is stamped when a job becomes BLOCKED).
 * @returns the keys changed; a key missing from them names no job of the pipeline
 */
export async function updatePipelineJobs(db: CommonQueryMethods, pipelineId: string, changes: readonly PipelineJobChange[]) {
  const updates = changes.map((c) => ({
    key: c.key, state: c.state, reason: c.reason, job_request_id: c.jobRequestId, runs: c.runs,
    started_at: c.startedAt?.toISOString() ?? null, finished_at: c.finishedAt?.toISOString() ?? null,
  }));
  const rows = await db.any(sql.type(Key)`
    UPDATE pipeline_jobs pj SET
      state = u.state::pipeline_job_state,
      reason = u.reason,
      job_request_id = coalesce(u.job_request_id, pj.job_request_id),
      runs = u.runs,
      started_at = coalesce(u.started_at, pj.started_at),
      finished_at = coalesce(u.finished_at, pj.finished_at),
      blocked_at = CASE WHEN u.state = 'blocked' AND pj.state <> 'blocked' THEN now() ELSE pj.blocked_at END
    FROM jsonb_to_recordset(${sql.jsonb(updates)}) AS u(key text, state text, reason text, job_request_id uuid, runs int4,
         started_at timestamptz, finished_at timestamptz)
    WHERE pj.pipeline_id = ${pipelineId} AND pj.key = u.key
    RETURNING pj.key`);
  return new Set(rows.map((row) => row.key));
}

/** Ends the attempt if it is still RUNNING; null when the pipeline is not (or is at another attempt). */
export async function finishPipeline(db: CommonQueryMethods, id: string, attempt: number, state: string, error: string) {
  return db.maybeOne(sql.type(PipelineRow)`
    WITH p AS (
      UPDATE pipelines SET state = ${state}::pipeline_state, error = ${error}, finished_at = now()
      WHERE id = ${id} AND attempt = ${attempt} AND state = 'running' RETURNING *
    )
    SELECT ${pipelineColumns} FROM p`);
}

/**
 * Starts the next attempt of a pipeline the caller locked (lockPipeline) and found ended: RUNNING,
 * attempt + 1, the new workflow, no end or error; the jobs named go back to PENDING with no reason
 * or times (their job_request_id, runs and approvals stay). @returns the keys reset
 */
export async function startPipelineAttempt(db: CommonQueryMethods, id: string, workflowId: string, rerunKeys: readonly string[]) {
  await db.query(sql.unsafe`
    UPDATE pipelines SET state = 'running', attempt = attempt + 1, workflow_id = ${workflowId}, finished_at = NULL, error = ''
    WHERE id = ${id}`);
  const rows = await db.any(sql.type(Key)`
    UPDATE pipeline_jobs SET state = 'pending', reason = '', started_at = NULL, finished_at = NULL, blocked_at = NULL
    WHERE pipeline_id = ${id} AND key = ANY(${sql.array(rerunKeys, 'text')})
    RETURNING key`);
  return new Set(rows.map((row) => row.key));
}

/** Locks one pipeline job and reads what its steps are merged from; null when there is no such job. */
export async function lockPipelineJob(db: CommonQueryMethods, pipelineId: string, key: string) {
  return db.maybeOne(sql.type(PipelineJobRow.pick({ state: true, steps: true, approvals: true, blocked_at: true }))`
    SELECT state, steps, approvals, blocked_at FROM pipeline_jobs WHERE pipeline_id = ${pipelineId} AND key = ${key} FOR UPDATE`);
}

/** Records the approval of a step (the caller checked it has none yet); @returns the job's approvals after it */
export async function insertApproval(db: CommonQueryMethods, pipelineId: string, key: string, stepIndex: number, approvedBy: string) {
  return db.oneFirst(sql.type(PipelineJobRow.pick({ approvals: true }))`
    UPDATE pipeline_jobs SET approvals = approvals || jsonb_build_object(${String(stepIndex)}::text, jsonb_build_object('by', ${approvedBy}::text, 'at', now()))
    WHERE pipeline_id = ${pipelineId} AND key = ${key}
    RETURNING approvals`);
}

/** Marks a pipeline changed (its updated_at), so WatchPipeline's poll of it sees its jobs and steps move. */
export async function touchPipeline(db: CommonQueryMethods, pipelineId: string): Promise<void> {
  await db.query(sql.unsafe`UPDATE pipelines SET updated_at = now() WHERE id = ${pipelineId}`);
}
