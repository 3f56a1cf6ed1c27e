import { FsJobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/fs_jobs.ts';
import { defineService, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { DatabasePool } from 'slonik';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { fsJobKinds, fsJobStates, transferModes } from '../validation/enum-codecs.ts';
import { optionalUuid, pageSize, requireInteger, requireText, requireUuid } from '../validation/fields.ts';
import { decodePageToken, pageOf } from '../validation/page-token.ts';
import { completeFsJob, failFsJob, findFsJob, listFsJobs, progressFsJob, startFsJob, toProtoFsJob } from './fs-job-queries.ts';

/** Most files in one snapshot. */
export const maxSnapshotFiles = 100_000;
const idRules = { max: 200, pattern: { regex: /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, description: 'letters, digits and ._:/@+-' } };
const sha256Rules = { min: 0, max: 64, pattern: { regex: /^[0-9a-f]{64}$/, description: '64 lower-case hex digits' } };
const count = (field: string, value: number) => requireInteger(field, value, 0, Number.MAX_SAFE_INTEGER);

/** jobmesh.persistence.v1.FsJobStoreService over a slonik pool. */
export function createFsJobStoreService(pool: DatabasePool) {
  const existing = async (id: string) => {
    const row = await findFsJob(pool, id);
    if (!row) throw notFound('FS_JOB_NOT_FOUND', `fs job ${id} does not exist`);
    return toProtoFsJob(row);
  };

  return defineService('jobmesh.persistence.v1.FsJobStoreService', FsJobStoreServiceService, withDatabaseErrors({
    async recordFsJobStarted(request) {
      const id = requireText('id', request.id, idRules);
      const row = await startFsJob(pool, {
        id,
        kind: fsJobKinds.toDb('kind', request.kind),
        source: requireText('source', request.source, { min: 0, max: 4096 }),
        destination: requireText('destination', request.destination, { min: 0, max: 4096 }),
        transferMode: transferModes.toDbOptional('transfer_mode', request.transferMode),
        bytesTotal: count('bytes_total', request.bytesTotal),
        filesTotal: count('files_total', request.filesTotal),
        jobRequestId: optionalUuid('job_request_id', request.jobRequestId),
      });
      return { fsJob: row ? toProtoFsJob(row) : await existing(id) };
    },

    async recordFsJobProgress(request) {
      const id = requireText('id', request.id, idRules);
      const row = await progressFsJob(pool, id, count('bytes_done', request.bytesDone), count('files_done', request.filesDone));
      return { fsJob: row ? toProtoFsJob(row) : await existing(id) };
    },

    async recordFsJobCompleted(request) {
      const id = requireText('id', request.id, idRules);
      if (request.snapshot.length > maxSnapshotFiles) throw invalidArgument('snapshot', `must hold at most ${maxSnapshotFiles} files`);
      const snapshot = request.snapshot.map((file, i) => ({
        path: requireText(`snapshot[${i}].path`, file.path, { max: 4096 }),
        sizeBytes: count(`snapshot[${i}].size_bytes`, file.sizeBytes),
        sha256: requireText(`snapshot[${i}].sha256`, file.sha256, sha256Rules),
        mode: file.mode,
      }));
      const row = await completeFsJob(pool, id, count('bytes_done', request.bytesDone), count('files_done', request.filesDone),
        snapshot, requireText('manifest_sha256', request.manifestSha256, sha256Rules));
      return { fsJob: row ? toProtoFsJob(row) : await existing(id) };
    },

    async recordFsJobFailed(request) {
      const id = requireText('id', request.id, idRules);
      const error = requireText('error', request.error, { max: 64 * 1024 });
      const row = await failFsJob(pool, id, error, requireInteger('attempt', request.attempt, 0, 1_000_000));
      return { fsJob: row ? toProtoFsJob(row) : await existing(id) };
    },

    async getFsJob(request) {
      return { fsJob: await existing(requireText('id', request.id, idRules)) };
    },

    async listFsJobs(request) {
      const limit = pageSize('page_size', request.pageSize, 50, 500);
      const rows = await listFsJobs(pool, {
        states: request.states.map((s, i) => fsJobStates.toDb(`states[${i}]`, s)),
        kind: fsJobKinds.toDbOptional('kind', request.kind),
        jobRequestId: optionalUuid('job_request_id', request.jobRequestId),
        limit,
        after: decodePageToken('page_token', request.pageToken),
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.cursor_at, id: row.id }));
      return { fsJobs: page.items.map(toProtoFsJob), nextPageToken: page.nextPageToken };
    },
  }));
}
