import type { ArtifactFile, ArtifactSet } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { sql } from 'slonik';
import { z } from 'zod';

/** A row of `artifact_sets`. */
export const ArtifactSetRow = z.object({
  job_request_id: z.string(),
  artifact_dir: z.string(),
  manifest_sha256: z.string(),
  file_count: z.number(),
  bytes_total: z.number(),
  unmatched_patterns: z.array(z.string()),
  recorded_at: z.date(),
});
export type ArtifactSetRow = z.infer<typeof ArtifactSetRow>;

/** Columns selected for an ArtifactSetRow from `artifact_sets` (alias `s`). */
export const artifactSetColumns = sql.fragment`s.job_request_id, s.artifact_dir, s.manifest_sha256, s.file_count, s.bytes_total,
  s.unmatched_patterns, s.recorded_at`;

/** A row of `artifact_files`. */
export const ArtifactFileRow = z.object({
  path: z.string(),
  size_bytes: z.number(),
  sha256: z.string(),
  mode: z.number(),
});
export type ArtifactFileRow = z.infer<typeof ArtifactFileRow>;

/** The proto ArtifactSet of a row. */
export function toProtoArtifactSet(row: ArtifactSetRow): ArtifactSet {
  return {
    jobRequestId: row.job_request_id,
    artifactDir: row.artifact_dir,
    manifestSha256: row.manifest_sha256,
    fileCount: row.file_count,
    bytesTotal: row.bytes_total,
    unmatchedPatterns: row.unmatched_patterns,
    recordedAt: row.recorded_at,
  };
}

/** The proto ArtifactFile of a row. */
export function toProtoArtifactFile(row: ArtifactFileRow): ArtifactFile {
  return { path: row.path, sizeBytes: row.size_bytes, sha256: row.sha256, mode: row.mode };
}
