import type { CollectArtifactsRequest, CollectArtifactsResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobKind, type TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { alreadyExists, failedPrecondition, notFound } from '@jobmesh/grpc-kit';
import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Roots } from '../paths/create-roots.ts';
import { deniedPath } from '../paths/path-errors.ts';
import { resolvePath } from '../paths/resolve-path.ts';
import { runTransfer, type TransferDeps } from '../transfers/run-transfer.ts';
import { requireMode, requireUuid } from '../transfers/validate-transfer-fields.ts';
import { matchArtifacts, requirePatterns } from './match-artifacts.ts';

/**
 * The CollectArtifacts handler: a transfer keyed `collect:<job>` from the
 * workspace to `<artifact root>/<job>`, of the files the patterns match.
 */
export function createCollectArtifactsHandler(roots: Roots, deps: TransferDeps) {
  return async function collectArtifacts(request: CollectArtifactsRequest): Promise<CollectArtifactsResponse> {
    const job = requireUuid('job_request_id', request.jobRequestId);
    const patterns = requirePatterns(request.patterns);
    const mode = requireMode('mode', request.mode);
    const workspace = await resolvePath(roots, 'workspace_path', request.workspacePath);
    if (workspace.rootName !== 'workspace') throw deniedPath('workspace_path', 'PATH_OUTSIDE_ROOT', 'must lie inside the workspace root');
    if (workspace.path === workspace.root) throw deniedPath('workspace_path', 'PATH_IS_ROOT', 'must be one workspace, not the workspace root');
    const destination = join(roots.artifacts, job);
    const running = runTransfer(deps, {
      key: `collect:${job}`,
      kind: FsJobKind.FS_JOB_KIND_COLLECT_ARTIFACTS,
      request: { kind: FsJobKind.FS_JOB_KIND_COLLECT_ARTIFACTS, source: workspace.real, destination, mode, overwrite: 0, jobRequestId: job, patterns },
      sourcePath: workspace.real,
      destination,
      replace: false,
      async plan() {
        if (!workspace.exists) throw notFound('PATH_NOT_FOUND', `workspace ${request.workspacePath} does not exist`);
        if (!(await stat(workspace.real)).isDirectory()) throw failedPrecondition('NOT_A_DIRECTORY', 'workspace_path: not a directory');
        if (await lstat(destination).then(() => true, () => false)) throw alreadyExists('DESTINATION_EXISTS', `artifacts of job ${job} exist already`);
        return matchArtifacts(roots, workspace.real, patterns, destination);
      },
    });
    const result = await running.result;
    return { artifactDir: destination, files: result.files, manifestSha256: result.manifestSha256, modeUsed: result.modeUsed as TransferMode };
  };
}
