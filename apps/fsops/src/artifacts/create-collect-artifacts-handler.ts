import { requirePatterns } from '@jobmesh/artifacts';
import type { CollectArtifactsRequest, CollectArtifactsResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobKind, type TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import { lstat, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { metadataDir, type Roots } from '../paths/create-roots.ts';
import { mapFsError } from '../paths/map-fs-error.ts';
import { deniedPath } from '../paths/path-errors.ts';
import { resolvePath, type ResolvedPath } from '../paths/resolve-path.ts';
import { planTransfer, type TransferPlan } from '../transfers/plan-transfer.ts';
import { runTransfer, type TransferDeps } from '../transfers/run-transfer.ts';
import { requireMode, requireUuid } from '../transfers/validate-transfer-fields.ts';
import { matchArtifacts } from './match-artifacts.ts';

/**
 * The CollectArtifacts handler: a transfer keyed `collect:<job>` into
 * `<artifact root>/<job>`, either of the files the patterns match in a
 * workspace, or of every file under a folder vm-runner staged (which is
 * removed once the transfer completed, also on a repeat that finds it left).
 */
export function createCollectArtifactsHandler(roots: Roots, deps: TransferDeps) {
  return async function collectArtifacts(request: CollectArtifactsRequest): Promise<CollectArtifactsResponse> {
    const job = requireUuid('job_request_id', request.jobRequestId);
    const hasWorkspace = request.workspacePath !== '';
    const hasStaged = request.stagedPath !== '';
    if (hasWorkspace && hasStaged) throw invalidArgument('staged_path', 'must be empty when workspace_path is set (exactly one of them)');
    if (!hasWorkspace && !hasStaged) throw invalidArgument('workspace_path', 'exactly one of workspace_path and staged_path must be set');
    if (hasStaged && request.patterns.length > 0) throw invalidArgument('patterns', 'must be empty with staged_path: every staged file is collected');
    const patterns = hasStaged ? [] : requirePatterns('patterns', request.patterns);
    const mode = requireMode('mode', request.mode);
    const field = hasStaged ? 'staged_path' : 'workspace_path';
    const rootName = hasStaged ? 'staging' : 'workspace';
    const source = await resolvePath(roots, field, hasStaged ? request.stagedPath : request.workspacePath);
    if (source.rootName !== rootName) throw deniedPath(field, 'PATH_OUTSIDE_ROOT', `must lie inside the ${rootName} root`);
    if (source.path === source.root) throw deniedPath(field, 'PATH_IS_ROOT', `must be one folder, not the ${rootName} root`);
    const destination = join(roots.artifacts, job);
    const running = runTransfer(deps, {
      key: `collect:${job}`,
      kind: FsJobKind.FS_JOB_KIND_COLLECT_ARTIFACTS,
      request: {
        kind: FsJobKind.FS_JOB_KIND_COLLECT_ARTIFACTS, source: source.real, destination, mode, overwrite: 0, jobRequestId: job,
        ...(hasStaged ? { staged: true as const } : { patterns }),
      },
      sourcePath: source.real,
      destination,
      replace: false,
      async plan() {
        await checkSource(source, field, hasStaged ? request.stagedPath : request.workspacePath, destination, job);
        return hasStaged ? planStaged(roots, source, destination) : matchArtifacts(roots, source.real, patterns, destination);
      },
    });
    const result = await running.result;
    // The staged folder is gone after a same-filesystem move; after a copy (or a repeat finding one left) it goes now.
    if (hasStaged) await rm(source.real, { recursive: true, force: true }).catch((e: unknown) => { throw mapFsError(e, field); });
    return { artifactDir: destination, files: result.files, manifestSha256: result.manifestSha256, modeUsed: result.modeUsed as TransferMode };
  };
}

async function checkSource(source: ResolvedPath, field: string, given: string, destination: string, job: string): Promise<void> {
  if (!source.exists) throw notFound('PATH_NOT_FOUND', `${field} ${given} does not exist`);
  if (!(await stat(source.real)).isDirectory()) throw failedPrecondition('NOT_A_DIRECTORY', `${field}: not a directory`);
  if (await lstat(destination).then(() => true, () => false)) throw alreadyExists('DESTINATION_EXISTS', `artifacts of job ${job} exist already`);
}

/** Every file under the staged folder (symlinks followed only inside the staging root, as any transfer). */
async function planStaged(roots: Roots, source: ResolvedPath, destination: string): Promise<TransferPlan> {
  return planTransfer(source.root, metadataDir(roots), source.real, destination);
}
