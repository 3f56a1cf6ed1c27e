import { failedPrecondition, type MeshError } from '@jobmesh/grpc-kit';
import { mapFsError } from '../paths/map-fs-error.ts';
import { GitError } from './run-git.ts';

/**
 * Turns what a git step on `what` threw into the error family: a failing git command is
 * FAILED_PRECONDITION (GIT_FAILED); MeshErrors (ensureMirror's REPOSITORY_UNREACHABLE,
 * COMMIT_NOT_FOUND) pass through; filesystem errors go through mapFsError.
 */
export function mapGitError(error: unknown, what: string): MeshError {
  return error instanceof GitError
    ? failedPrecondition('GIT_FAILED', `${what}: ${error.message}`, { cause: error })
    : mapFsError(error, what);
}
