import type { ArtifactFile } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { ArtifactFileRow, ArtifactSetRow, artifactSetColumns } from './artifact-row.ts';

/** A validated manifest to record. */
export interface NewArtifactSet {
  jobRequestId: string;
  artifactDir: string;
  manifestSha256: string;
  /** Sorted by path, paths unique. */
  files: ArtifactFile[];
  bytesTotal: number;
  unmatchedPatterns: string[];
}

const fileTuples = (files: readonly ArtifactFile[]) =>
  sql.unnest(files.map((f) => [f.path, f.sizeBytes, f.sha256, f.mode]), ['text', 'int8', 'text', 'int4']);

/**
 * Locks the job's row until the transaction ends, so two recordings of the same job
 * serialize; the second one then sees the first one's set.
 * @returns false when the job does not exist
 */
export async function lockJobForArtifacts(db: CommonQueryMethods, jobRequestId: string): Promise<boolean> {
  const row = await db.maybeOne(sql.type(z.object({ request_id: z.string() }))`
    SELECT request_id FROM jobs WHERE request_id = ${jobRequestId} FOR UPDATE`);
  return row !== null;
}

/** Reads a job's manifest (without files); null when none is recorded or the job does not exist. */
export async function findArtifactSet(db: CommonQueryMethods, jobRequestId: string): Promise<ArtifactSetRow | null> {
  return db.maybeOne(sql.type(ArtifactSetRow)`
    SELECT ${artifactSetColumns} FROM artifact_sets s WHERE s.job_request_id = ${jobRequestId}`);
}

/** Inserts the manifest and its files and sets jobs.artifact_manifest; the caller holds the job's lock. */
export async function insertArtifactSet(db: CommonQueryMethods, set: NewArtifactSet): Promise<ArtifactSetRow> {
  const row = await db.one(sql.type(ArtifactSetRow)`
    WITH s AS (
      INSERT INTO artifact_sets (job_request_id, artifact_dir, manifest_sha256, file_count, bytes_total, unmatched_patterns)
      VALUES (${set.jobRequestId}, ${set.artifactDir}, ${set.manifestSha256}, ${set.files.length}, ${set.bytesTotal},
              ${sql.array(set.unmatchedPatterns, 'text')})
      RETURNING *
    ), j AS (
      UPDATE jobs SET artifact_manifest = s.manifest_sha256 FROM s WHERE jobs.request_id = s.job_request_id
    )
    SELECT ${artifactSetColumns} FROM s`);
  if (set.files.length) {
    await db.query(sql.unsafe`
      INSERT INTO artifact_files (job_request_id, path, size_bytes, sha256, mode)
      SELECT ${set.jobRequestId}, x.path, x.size_bytes, x.sha256, x.mode
      FROM ${fileTuples(set.files)} AS x(path, size_bytes, sha256, mode)`);
  }
  return row;
}

/** How many of `files` a job's recorded manifest holds exactly (path, size, SHA-256 and mode). */
export async function countRecordedFiles(db: CommonQueryMethods, jobRequestId: string, files: readonly ArtifactFile[]): Promise<number> {
  if (files.length === 0) return 0;
  return db.oneFirst(sql.type(z.object({ n: z.number() }))`
    SELECT count(*)::int8 AS n FROM ${fileTuples(files)} AS x(path, size_bytes, sha256, mode)
    JOIN artifact_files f ON f.job_request_id = ${jobRequestId} AND f.path = x.path
     AND f.size_bytes = x.size_bytes AND f.sha256 = x.sha256 AND f.mode = x.mode`);
}

/** Lists a job's files after `afterPath` (byte order), limit + 1 rows so the caller knows if a next page exists. */
export async function listArtifactFiles(db: CommonQueryMethods, jobRequestId: string, afterPath: string | null, limit: number) {
  const after = afterPath === null ? sql.fragment`` : sql.fragment`AND path > ${afterPath}`;
  return db.any(sql.type(ArtifactFileRow)`
    SELECT path, size_bytes, sha256, mode FROM artifact_files
    WHERE job_request_id = ${jobRequestId} ${after}
    ORDER BY path LIMIT ${limit + 1}`);
}

/** Reads one file of a job's manifest. */
export async function findArtifactFile(db: CommonQueryMethods, jobRequestId: string, path: string): Promise<ArtifactFileRow | null> {
  return db.maybeOne(sql.type(ArtifactFileRow)`
    SELECT path, size_bytes, sha256, mode FROM artifact_files WHERE job_request_id = ${jobRequestId} AND path = ${path}`);
}
