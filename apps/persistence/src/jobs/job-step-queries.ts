import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { JobStepRow, jobStepColumns } from './job-step-row.ts';

/** A validated step of RecordJobSteps: what the run reached (null = not reached, or not said). */
export interface NewJobStep {
  index: number;
  name: string;
  /** Postgres labels. */
  kind: string;
  state: string | null;
  exitCode: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** With startedAt, else null. */
  startSeq: number | null;
  startOffset: number | null;
  /** With finishedAt, else null. */
  endSeq: number | null;
  endOffset: number | null;
  /** The same for stderr. */
  errStartSeq: number | null;
  errStartOffset: number | null;
  errEndSeq: number | null;
  errEndOffset: number | null;
}

const final = sql.fragment`('succeeded', 'failed', 'skipped', 'cancelled')`;

/**
 * Locks a job's row against state changes until the transaction ends (FOR SHARE conflicts with
 * TransitionJob's UPDATE), so recorded steps and the finalization of a terminal transition never
 * miss each other. @returns null when the job does not exist
 */
export async function lockJobForSteps(db: CommonQueryMethods, requestId: string) {
  return db.maybeOne(sql.type(z.object({ state: z.string(), pipeline_id: z.string().nullable() }))`
    SELECT state::text AS state, pipeline_id FROM jobs WHERE request_id = ${requestId} FOR SHARE`);
}

/**
 * Inserts or advances a job's steps by (job, index): name and kind stay those of the first insert,
 * a state only moves forward (pending < running < final; a final state stays), and exit code,
 * times and log boundaries keep their first value. @returns how many rows changed
 */
export async function upsertJobSteps(db: CommonQueryMethods, requestId: string, steps: readonly NewJobStep[]): Promise<number> {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  const tuples = steps.map((s) => [s.index, s.name, s.kind, s.state ?? 'pending', s.exitCode, iso(s.startedAt), iso(s.finishedAt),
    s.startSeq, s.startOffset, s.endSeq, s.endOffset, s.errStartSeq, s.errStartOffset, s.errEndSeq, s.errEndOffset]);
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`
    WITH changed AS (
      INSERT INTO job_steps AS s (job_request_id, index, name, kind, state, exit_code, started_at, finished_at,
                                  start_seq, start_offset, end_seq, end_offset, err_start_seq, err_start_offset, err_end_seq, err_end_offset)
      SELECT ${requestId}, x.index, x.name, x.kind::job_step_kind, x.state::job_step_state, x.exit_code, x.started_at, x.finished_at,
             x.start_seq, x.start_offset, x.end_seq, x.end_offset, x.err_start_seq, x.err_start_offset, x.err_end_seq, x.err_end_offset
      FROM ${sql.unnest(tuples, ['int4', 'text', 'text', 'text', 'int4', 'timestamptz', 'timestamptz', 'int8', 'int4', 'int8', 'int4', 'int8', 'int4', 'int8', 'int4'])}
        AS x(index, name, kind, state, exit_code, started_at, finished_at, start_seq, start_offset, end_seq, end_offset,
             err_start_seq, err_start_offset, err_end_seq, err_end_offset)
      ON CONFLICT (job_request_id, index) DO UPDATE SET
        state = CASE WHEN s.state IN ${final} OR EXCLUDED.state <= s.state THEN s.state ELSE EXCLUDED.state END,
        exit_code = coalesce(s.exit_code, EXCLUDED.exit_code),
        started_at = coalesce(s.started_at, EXCLUDED.started_at),
        finished_at = coalesce(s.finished_at, EXCLUDED.finished_at),
        start_seq = coalesce(s.start_seq, EXCLUDED.start_seq),
        start_offset = coalesce(s.start_offset, EXCLUDED.start_offset),
        end_seq = coalesce(s.end_seq, EXCLUDED.end_seq),
        end_offset = coalesce(s.end_offset, EXCLUDED.end_offset),
        err_start_seq = coalesce(s.err_start_seq, EXCLUDED.err_start_seq),
        err_start_offset = coalesce(s.err_start_offset, EXCLUDED.err_start_offset),
        err_end_seq = coalesce(s.err_end_seq, EXCLUDED.err_end_seq),
        err_end_offset = coalesce(s.err_end_offset, EXCLUDED.err_end_offset)
      -- A replay that adds nothing writes nothing (and does not count as a change).
      WHERE (s.state NOT IN ${final} AND EXCLUDED.state > s.state)
         OR (s.exit_code IS NULL AND EXCLUDED.exit_code IS NOT NULL)
         OR (s.started_at IS NULL AND EXCLUDED.started_at IS NOT NULL)
         OR (s.finished_at IS NULL AND EXCLUDED.finished_at IS NOT NULL)
         OR (s.start_seq IS NULL AND EXCLUDED.start_seq IS NOT NULL)
         OR (s.end_seq IS NULL AND EXCLUDED.end_seq IS NOT NULL)
         OR (s.err_start_seq IS NULL AND EXCLUDED.err_start_seq IS NOT NULL)
         OR (s.err_end_seq IS NULL AND EXCLUDED.err_end_seq IS NOT NULL)
      RETURNING 1
    )
    SELECT count(*)::int8 AS n FROM changed`);
}

/**
 * Ends the steps a terminal job left open: RUNNING ones become `runningTo` with finished_at now,
 * PENDING ones SKIPPED. @returns how many rows changed
 */
export async function finalizeJobSteps(db: CommonQueryMethods, requestId: string, runningTo: 'succeeded' | 'failed' | 'cancelled'): Promise<number> {
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`
    WITH changed AS (
      UPDATE job_steps SET
        state = CASE WHEN state = 'running' THEN ${runningTo}::job_step_state ELSE 'skipped' END,
        finished_at = CASE WHEN state = 'running' THEN coalesce(finished_at, now()) ELSE finished_at END
      WHERE job_request_id = ${requestId} AND state IN ('pending', 'running')
      RETURNING 1
    )
    SELECT count(*)::int8 AS n FROM changed`);
}

/** A job's steps in order. */
export async function listJobSteps(db: CommonQueryMethods, requestId: string) {
  return db.any(sql.type(JobStepRow)`
    SELECT ${jobStepColumns} FROM job_steps s WHERE s.job_request_id = ${requestId} ORDER BY s.index`);
}
