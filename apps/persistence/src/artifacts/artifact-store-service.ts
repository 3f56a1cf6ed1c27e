import { checkArtifactPath } from '@jobmesh/artifacts';
import { ArtifactStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { alreadyExists, defineService, notFound } from '@jobmesh/grpc-kit';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { findJob } from '../jobs/job-queries.ts';
import { pageSize, requireUuid } from '../validation/fields.ts';
import { decodeKeyPageToken, keyPageOf } from '../validation/key-page-token.ts';
import {
  countRecordedFiles,
  findArtifactFile,
  findArtifactSet,
  insertArtifactSet,
  listArtifactFiles,
  lockJobForArtifacts,
  type NewArtifactSet,
} from './artifact-queries.ts';
import { toProtoArtifactFile, toProtoArtifactSet, type ArtifactSetRow } from './artifact-row.ts';
import { validateRecordArtifacts } from './validate-record-artifacts.ts';

const jobNotFound = (jobRequestId: string) => notFound('JOB_NOT_FOUND', `job ${jobRequestId} does not exist`);

/** True when the stored manifest is the one asked to record: same directory, patterns and files (path, size, SHA-256, mode). */
async function isSameSet(db: CommonQueryMethods, stored: ArtifactSetRow, set: NewArtifactSet): Promise<boolean> {
  if (stored.manifest_sha256 !== set.manifestSha256 || stored.artifact_dir !== set.artifactDir ||
    stored.file_count !== set.files.length || JSON.stringify(stored.unmatched_patterns) !== JSON.stringify(set.unmatchedPatterns)) {
    return false;
  }
  return (await countRecordedFiles(db, set.jobRequestId, set.files)) === set.files.length;
}

/**
 * jobmesh.persistence.v1.ArtifactStoreService over a slonik pool: each job's artifact
 * manifest, recorded once (idempotently) and read in pages by path.
 */
export function createArtifactStoreService(pool: DatabasePool) {
  /** The job's manifest; null when none is recorded. @throws NOT_FOUND JOB_NOT_FOUND */
  const recordedSet = async (jobRequestId: string) => {
    const set = await findArtifactSet(pool, jobRequestId);
    if (!set && !(await findJob(pool, jobRequestId))) throw jobNotFound(jobRequestId);
    return set;
  };

  return defineService('jobmesh.persistence.v1.ArtifactStoreService', ArtifactStoreServiceService, withDatabaseErrors({
    async recordArtifacts(request) {
      const set = validateRecordArtifacts(request);
      return pool.transaction(async (tx) => {
        // The job's row lock serializes recordings of one job: a repeat waits, then finds the first one's set.
        if (!(await lockJobForArtifacts(tx, set.jobRequestId))) throw jobNotFound(set.jobRequestId);
        const stored = await findArtifactSet(tx, set.jobRequestId);
        if (!stored) return { set: toProtoArtifactSet(await insertArtifactSet(tx, set)), created: true };
        if (!(await isSameSet(tx, stored, set))) {
          throw alreadyExists('ARTIFACTS_RECORDED', `job ${set.jobRequestId} has another artifact manifest recorded (${stored.manifest_sha256})`, {
            facts: { manifest_sha256: stored.manifest_sha256 },
          });
        }
        return { set: toProtoArtifactSet(stored), created: false };
      });
    },

    async listArtifacts(request) {
      const jobRequestId = requireUuid('job_request_id', request.jobRequestId);
      const limit = pageSize('page_size', request.pageSize, 100, 1000);
      const after = decodeKeyPageToken('page_token', request.pageToken, 4096);
      const set = await recordedSet(jobRequestId);
      if (!set) return { recorded: false, set: undefined, files: [], nextPageToken: '' };
      const page = keyPageOf(await listArtifactFiles(pool, jobRequestId, after, limit), limit, (row) => row.path);
      return { recorded: true, set: toProtoArtifactSet(set), files: page.items.map(toProtoArtifactFile), nextPageToken: page.nextPageToken };
    },

    async getArtifact(request) {
      const jobRequestId = requireUuid('job_request_id', request.jobRequestId);
      const path = checkArtifactPath('path', request.path);
      const set = await recordedSet(jobRequestId);
      const file = set ? await findArtifactFile(pool, jobRequestId, path) : null;
      if (!set || !file) {
        throw notFound('ARTIFACT_NOT_FOUND', `path: ${JSON.stringify(path.slice(0, 256))} is not an artifact of job ${jobRequestId}`, { field: 'path' });
      }
      return { set: toProtoArtifactSet(set), file: toProtoArtifactFile(file) };
    },
  }));
}
