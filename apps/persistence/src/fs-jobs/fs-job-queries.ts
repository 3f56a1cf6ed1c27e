import type { FsFileEntry, FsJob } from '@jobmesh/contracts/jobmesh/persistence/v1/fs_jobs.ts';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { fsJobKinds, fsJobStates, transferModes } from '../validation/enum-codecs.ts';
import type { PageCursor } from '../validation/page-token.ts';

const FileEntry = z.object({ path: z.string(), sizeBytes: z.number(), sha256: z.string(), mode: z.number() });

const FsJobRow = z.object({
  id: z.string(),
  kind: z.string(),
  source: z.string(),
  destination: z.string(),
  transfer_mode: z.string().nullable(),
  state: z.string(),
  attempt: z.number(),
  last_error: z.string().nullable(),
  bytes_done: z.number(),
  bytes_total: z.number(),
  files_done: z.number(),
  files_total: z.number(),
  snapshot: z.array(FileEntry),
  manifest_sha256: z.string(),
  job_request_id: z.string().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
  completed_at: z.date().nullable(),
  cursor_at: z.string(),
});
type FsJobRow = z.infer<typeof FsJobRow>;
const columns = sql.fragment`id, kind, source, destination, transfer_mode, state, attempt, last_error, bytes_done, bytes_total,
  files_done, files_total, snapshot, manifest_sha256, job_request_id, created_at, updated_at, completed_at, created_at::text AS cursor_at`;

/** The proto FsJob of a row. */
export function toProtoFsJob(row: FsJobRow): FsJob {
  return {
    id: row.id,
    kind: fsJobKinds.fromDb(row.kind),
    source: row.source,
    destination: row.destination,
    transferMode: transferModes.fromDb(row.transfer_mode),
    state: fsJobStates.fromDb(row.state),
    attempt: row.attempt,
    lastError: row.last_error ?? '',
    bytesDone: row.bytes_done,
    bytesTotal: row.bytes_total,
    filesDone: row.files_done,
    filesTotal: row.files_total,
    snapshot: row.snapshot,
    manifestSha256: row.manifest_sha256,
    jobRequestId: row.job_request_id ?? '',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at ?? undefined,
  };
}

/** A validated start of an fs job. */
export interface FsJobStart {
  id: string;
  kind: string;
  source: string;
  destination: string;
  transferMode: string | null;
  bytesTotal: number;
  filesTotal: number;
  jobRequestId: string | null;
}

/** Creates the fs job, or restarts a failed one; a running or completed one is left as it is. */
export async function startFsJob(db: CommonQueryMethods, s: FsJobStart) {
  return db.maybeOne(sql.type(FsJobRow)`
    WITH f AS (
      INSERT INTO fs_jobs AS f (id, kind, source, destination, transfer_mode, bytes_total, files_total, job_request_id)
      VALUES (${s.id}, ${s.kind}::fs_job_kind, ${s.source}, ${s.destination}, ${s.transferMode}::transfer_mode,
              ${s.bytesTotal}, ${s.filesTotal}, ${s.jobRequestId})
      ON CONFLICT (id) DO UPDATE SET state = 'running', bytes_done = 0, files_done = 0,
        bytes_total = EXCLUDED.bytes_total, files_total = EXCLUDED.files_total
      WHERE f.state = 'failed'
      RETURNING *
    )
    SELECT ${columns} FROM f`);
}

/** Stores progress of a running fs job. */
export async function progressFsJob(db: CommonQueryMethods, id: string, bytesDone: number, filesDone: number) {
  return db.maybeOne(sql.type(FsJobRow)`
    WITH f AS (UPDATE fs_jobs SET bytes_done = ${bytesDone}, files_done = ${filesDone}
               WHERE id = ${id} AND state = 'running' RETURNING *)
    SELECT ${columns} FROM f`);
}

/** Marks an fs job completed, clearing last_error; a completed one is left as it is. */
export async function completeFsJob(db: CommonQueryMethods, id: string, bytesDone: number, filesDone: number,
  snapshot: FsFileEntry[], manifestSha256: string) {
  return db.maybeOne(sql.type(FsJobRow)`
    WITH f AS (UPDATE fs_jobs SET state = 'completed', last_error = NULL, bytes_done = ${bytesDone},
                 files_done = ${filesDone}, snapshot = ${sql.jsonb(snapshot)}, manifest_sha256 = ${manifestSha256},
                 completed_at = now()
               WHERE id = ${id} AND state <> 'completed' RETURNING *)
    SELECT ${columns} FROM f`);
}

/**
 * Marks a running fs job failed and counts the attempt. Only a running job
 * fails, and only for the attempt given (0 = the current one), so a repeated
 * report of the same failure counts once.
 */
export async function failFsJob(db: CommonQueryMethods, id: string, error: string, attempt: number) {
  return db.maybeOne(sql.type(FsJobRow)`
    WITH f AS (UPDATE fs_jobs SET state = 'failed', last_error = ${error}, attempt = attempt + 1
               WHERE id = ${id} AND state = 'running' AND (${attempt}::int = 0 OR attempt = ${attempt}::int) RETURNING *)
    SELECT ${columns} FROM f`);
}

/** Reads one fs job. */
export async function findFsJob(db: CommonQueryMethods, id: string) {
  return db.maybeOne(sql.type(FsJobRow)`SELECT ${columns} FROM fs_jobs WHERE id = ${id}`);
}

/** Filters of listFsJobs. */
export interface FsJobFilter {
  states: string[];
  kind: string | null;
  jobRequestId: string | null;
  limit: number;
  after: PageCursor | null;
}

/** Lists fs jobs newest first, limit + 1 rows. */
export async function listFsJobs(db: CommonQueryMethods, f: FsJobFilter) {
  const conditions = [sql.fragment`TRUE`];
  if (f.states.length) conditions.push(sql.fragment`state = ANY(${sql.array(f.states, 'text')}::fs_job_state[])`);
  if (f.kind) conditions.push(sql.fragment`kind = ${f.kind}::fs_job_kind`);
  if (f.jobRequestId) conditions.push(sql.fragment`job_request_id = ${f.jobRequestId}`);
  if (f.after) conditions.push(sql.fragment`(created_at, id) < (${f.after.at}::timestamptz, ${f.after.id})`);
  return db.any(sql.type(FsJobRow)`
    SELECT ${columns} FROM fs_jobs WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit + 1}`);
}
