import type { TransferRequest, TransferResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobKind, type TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { alreadyExists, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import { lstat } from 'node:fs/promises';
import { metadataDir, type Roots } from '../paths/create-roots.ts';
import { isInside } from '../paths/is-inside.ts';
import { deniedPath } from '../paths/path-errors.ts';
import { resolvePath } from '../paths/resolve-path.ts';
import { planTransfer } from './plan-transfer.ts';
import { runTransfer, type TransferDeps } from './run-transfer.ts';
import { optionalUuid, requireKey, requireMode, requireOverwrite } from './validate-transfer-fields.ts';

/**
 * The Transfer handler: checks every field and resolves both paths inside
 * the roots before anything is read, then streams progress and the result.
 */
export function createTransferHandler(roots: Roots, deps: TransferDeps) {
  return async function* transfer(request: TransferRequest): AsyncGenerator<TransferResponse> {
    const key = requireKey('key', request.key);
    const mode = requireMode('mode', request.mode);
    const overwrite = requireOverwrite('overwrite', request.overwrite);
    const jobRequestId = optionalUuid('job_request_id', request.jobRequestId);
    const source = await resolvePath(roots, 'source', request.source);
    const destination = await resolvePath(roots, 'destination', request.destination);
    if (destination.path === destination.root) throw deniedPath('destination', 'PATH_IS_ROOT', 'must lie below a root, not be one');
    if (source.path === source.root) throw deniedPath('source', 'PATH_IS_ROOT', 'must lie below a root, not be one');
    if (isInside(source.real, destination.path) || isInside(destination.path, source.real)) {
      throw invalidArgument('destination', 'must not lie inside the source, nor the source inside it', { reason: 'OVERLAPPING_PATHS' });
    }
    const replace = overwrite === OverwritePolicy.OVERWRITE_POLICY_REPLACE && destination.exists;
    const running = runTransfer(deps, {
      key,
      kind: FsJobKind.FS_JOB_KIND_TRANSFER,
      request: { kind: FsJobKind.FS_JOB_KIND_TRANSFER, source: source.path, destination: destination.path, mode, overwrite, jobRequestId, ...(request.skipChecksums ? { skipChecksums: true as const } : {}) },
      sourcePath: source.path,
      destination: destination.path,
      replace,
      async plan() {
        if (!source.exists) throw notFound('PATH_NOT_FOUND', `source ${request.source} does not exist`);
        const exists = await lstat(destination.path).then(() => true, () => false);
        if (exists && overwrite === OverwritePolicy.OVERWRITE_POLICY_FAIL) {
          throw alreadyExists('DESTINATION_EXISTS', `destination ${request.destination} exists and the overwrite policy is FAIL`);
        }
        return planTransfer(source.root, metadataDir(roots), source.real, destination.path);
      },
    });
    for await (const progress of running.feed.follow(running.result)) yield { progress };
    const { repeated, ...result } = await running.result;
    yield { result: { ...result, modeUsed: result.modeUsed as TransferMode, repeated } };
  };
}
