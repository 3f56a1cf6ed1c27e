import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';

/** The cutoff of each kind after defaulting; null keeps that kind. */
export interface EffectiveCutoffs {
  jobs: Date | null;
  logs: Date | null;
  artifacts: Date | null;
  vms: Date | null;
  fsJobs: Date | null;
}

/** One table retention deletes from: how to pick a batch of its rows, and which counter they add to. */
export interface PrunableTable {
  /** Counter of PruneCounts the rows add to; null for rows it has no counter of (job steps, pipelines, workflow events). */
  counter: 'logChunks' | 'artifactFiles' | 'artifactSets' | 'jobEvents' | 'workflowSteps' | 'workflows' | 'jobs' | 'vmEvents' | 'vms' | 'fsJobs' | null;
  /** The cutoff that decides; the table is skipped when it is null. */
  cutoff(c: EffectiveCutoffs): Date | null;
  /** Deletes up to `limit` rows past `cutoff`, skipping rows others hold locked. */
  deleteBatch(db: CommonQueryMethods, cutoff: Date, limit: number): Promise<DeletedBatch>;
  /** Counts the rows a prune would delete. */
  count(db: CommonQueryMethods, cutoff: Date): Promise<DeletedBatch>;
}

/** Rows of one batch (or count), with the log bytes they held and the artifact sets among them. */
export interface DeletedBatch {
  n: number;
  bytes: number;
  sets?: { job_request_id: string; artifact_dir: string }[];
}

const Counted = z.object({ n: z.number(), bytes: z.number() });
const PrunedSet = z.object({ job_request_id: z.string(), artifact_dir: z.string() });

const at = (cutoff: Date) => sql.fragment`${cutoff.toISOString()}::timestamptz`;
const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);

// Terminal states are final (compare-and-set refuses any later transition), so a row chosen
// here cannot become live again before the DELETE that follows in the same statement.
const endedJob = (j: string, cutoff: Date) => sql.fragment`
  ${sql.identifier([j, 'state'])} IN ('succeeded', 'failed', 'cancelled', 'timed_out')
  AND coalesce(${sql.identifier([j, 'finished_at'])}, ${sql.identifier([j, 'updated_at'])}) < ${at(cutoff)}`;
/** True when the job `column` names exists and has not ended (queued, preparing, running, collecting). */
const liveJob = (column: FragmentSqlToken) => sql.fragment`
  EXISTS (SELECT 1 FROM jobs lj WHERE lj.request_id = ${column} AND lj.state NOT IN ('succeeded', 'failed', 'cancelled', 'timed_out'))`;
const endedWorkflow = (cutoff: Date) => sql.fragment`
  w.status IN ('succeeded', 'failed', 'cancelled', 'timed_out')
  AND coalesce(w.finished_at, w.updated_at) < ${at(cutoff)}
  AND NOT ${liveJob(sql.fragment`w.job_request_id`)}
  AND NOT EXISTS (SELECT 1 FROM workflows p WHERE p.id = w.parent_id AND p.status IN ('pending', 'running'))`;
const endedVm = (cutoff: Date) => sql.fragment`
  v.state IN ('destroyed', 'failed') AND v.last_event_at < ${at(cutoff)} AND NOT ${liveJob(sql.fragment`v.job_request_id`)}`;

/**
 * A table whose rows `pick` selects (a `SELECT t.ctid FROM <table> t ... WHERE ...` body without
 * LIMIT): batches delete by ctid what `FOR UPDATE SKIP LOCKED` could lock at once, so a row a live
 * writer holds is skipped, never waited for.
 */
function table(
  counter: PrunableTable['counter'],
  name: string,
  cutoff: PrunableTable['cutoff'],
  from: (cutoff: Date) => FragmentSqlToken,
  options: { bytes?: FragmentSqlToken; returnsSets?: boolean; onlyWhenEmpty?: FragmentSqlToken } = {},
): PrunableTable {
  const bytes = options.bytes ?? sql.fragment`0`;
  const guard = options.onlyWhenEmpty ? sql.fragment`AND ${options.onlyWhenEmpty}` : sql.fragment``;
  return {
    counter,
    cutoff,
    async deleteBatch(db, c, limit) {
      const picked = sql.fragment`
        DELETE FROM ${sql.identifier([name])} WHERE ctid = ANY(ARRAY(
          SELECT t.ctid ${from(c)} ${guard} LIMIT ${limit} FOR UPDATE OF t SKIP LOCKED))`;
      if (options.returnsSets) {
        const sets = await db.any(sql.type(PrunedSet)`${picked} RETURNING job_request_id, artifact_dir`);
        return { n: sets.length, bytes: 0, sets: [...sets] };
      }
      return db.one(sql.type(Counted)`
        WITH d AS (${picked} RETURNING ${bytes} AS b)
        SELECT count(*)::int8 AS n, coalesce(sum(b), 0)::int8 AS bytes FROM d`);
    },
    async count(db, c) {
      const counted = await db.one(sql.type(Counted)`SELECT count(*)::int8 AS n, coalesce(sum(${bytes}), 0)::int8 AS bytes ${from(c)}`);
      if (!options.returnsSets) return counted;
      return { ...counted, sets: [...(await db.any(sql.type(PrunedSet)`SELECT t.job_request_id, t.artifact_dir ${from(c)} LIMIT 10000`))] };
    },
  };
}

/**
 * Every table retention prunes, children before parents, so a parent's delete cascades to
 * nothing big: log chunks and artifact files go in their own batches first.
 */
export const prunableTables: readonly PrunableTable[] = [
  table('logChunks', 'job_log_chunks', (c) => later(c.logs, c.jobs), (cutoff) => sql.fragment`
    FROM job_log_chunks t JOIN jobs j ON j.request_id = t.request_id WHERE ${endedJob('j', cutoff)}`,
  { bytes: sql.fragment`octet_length(data)` }),
  table('artifactFiles', 'artifact_files', (c) => later(c.artifacts, c.jobs), (cutoff) => sql.fragment`
    FROM artifact_files t JOIN jobs j ON j.request_id = t.job_request_id WHERE ${endedJob('j', cutoff)}`),
  table('artifactSets', 'artifact_sets', (c) => later(c.artifacts, c.jobs), (cutoff) => sql.fragment`
    FROM artifact_sets t JOIN jobs j ON j.request_id = t.job_request_id WHERE ${endedJob('j', cutoff)}`,
  { returnsSets: true, onlyWhenEmpty: sql.fragment`NOT EXISTS (SELECT 1 FROM artifact_files f WHERE f.job_request_id = t.job_request_id)` }),
  table('jobEvents', 'job_events', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM job_events t JOIN jobs j ON j.request_id = t.request_id WHERE ${endedJob('j', cutoff)}`),
  table('workflowSteps', 'workflow_steps', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM workflow_steps t JOIN workflows w ON w.id = t.workflow_id WHERE ${endedWorkflow(cutoff)}`),
  // A workflow's events go in their own batches before it (no counter of PruneCounts).
  table(null, 'workflow_events', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM workflow_events t JOIN workflows w ON w.id = t.workflow_id WHERE ${endedWorkflow(cutoff)}`),
  table('workflows', 'workflows', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM workflows t JOIN workflows w ON w.id = t.id WHERE ${endedWorkflow(cutoff)}`,
  { onlyWhenEmpty: sql.fragment`NOT EXISTS (SELECT 1 FROM workflow_steps s WHERE s.workflow_id = t.id)
    AND NOT EXISTS (SELECT 1 FROM workflow_events e WHERE e.workflow_id = t.id)
    AND NOT EXISTS (SELECT 1 FROM workflows ch WHERE ch.parent_id = t.id)` }),
  table(null, 'job_steps', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM job_steps t JOIN jobs j ON j.request_id = t.job_request_id WHERE ${endedJob('j', cutoff)}`),
  table('jobs', 'jobs', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM jobs t WHERE ${endedJob('t', cutoff)}`,
  { onlyWhenEmpty: sql.fragment`NOT EXISTS (SELECT 1 FROM job_steps x WHERE x.job_request_id = t.request_id)
    AND NOT EXISTS (SELECT 1 FROM job_log_chunks x WHERE x.request_id = t.request_id)
    AND NOT EXISTS (SELECT 1 FROM artifact_sets x WHERE x.job_request_id = t.request_id)
    AND NOT EXISTS (SELECT 1 FROM job_events x WHERE x.request_id = t.request_id)
    AND NOT EXISTS (SELECT 1 FROM workflows x WHERE x.job_request_id = t.request_id)` }),
  // A pipeline goes once its attempt ended before the jobs cutoff and its jobs are gone (the job
  // rules above decide those); its planned jobs (at most 256) go with it by cascade.
  table(null, 'pipelines', (c) => c.jobs, (cutoff) => sql.fragment`
    FROM pipelines t WHERE t.state IN ('succeeded', 'failed', 'cancelled') AND coalesce(t.finished_at, t.updated_at) < ${at(cutoff)}`,
  { onlyWhenEmpty: sql.fragment`NOT EXISTS (SELECT 1 FROM jobs x WHERE x.pipeline_id = t.id)` }),
  table('vmEvents', 'vm_events', (c) => c.vms, (cutoff) => sql.fragment`
    FROM vm_events t JOIN vms v ON v.request_id = t.request_id WHERE ${endedVm(cutoff)}`),
  table('vms', 'vms', (c) => c.vms, (cutoff) => sql.fragment`
    FROM vms t JOIN vms v ON v.request_id = t.request_id WHERE ${endedVm(cutoff)}`,
  { onlyWhenEmpty: sql.fragment`NOT EXISTS (SELECT 1 FROM vm_events e WHERE e.request_id = t.request_id)` }),
  table('fsJobs', 'fs_jobs', (c) => c.fsJobs, (cutoff) => sql.fragment`
    FROM fs_jobs t WHERE t.state IN ('completed', 'failed') AND coalesce(t.completed_at, t.updated_at) < ${at(cutoff)}
    AND NOT ${liveJob(sql.fragment`t.job_request_id`)}`),
];
