import type { ReadRepositoryFileRequest, ReadRepositoryFileResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { defaultMaxMessageBytes, failedPrecondition, notFound } from '@jobmesh/grpc-kit';
import { ensureMirror, type MirrorOptions } from './ensure-mirror.ts';
import { findTreeEntry, type TreeEntryKind } from './find-tree-entry.ts';
import { mapGitError } from './map-git-error.ts';
import { runGit, runGitBytes } from './run-git.ts';
import { requireCommitSha, requireRepoUrl } from './validate-checkout-fields.ts';
import { requireRepositoryFileMaxBytes, requireRepositoryPath } from './validate-repository-file-fields.ts';

/**
 * Largest file a response can carry: the server's (and clients') 16 MiB message limit counts
 * the gRPC frame header (5 bytes) and the content field's tag (1) and length (4) too.
 */
export const repositoryFileWireMaxBytes = defaultMaxMessageBytes - 10;

const notAFile: Record<Exclude<TreeEntryKind, 'file'>, string> = {
  directory: 'is a directory',
  submodule: 'is a submodule',
  symlink: 'is a symbolic link',
};

/**
 * The ReadRepositoryFile handler: one file of a commit, read from the repository's mirror
 * (ensureMirror: cloned or fetched into as PrepareWorkspace does, and touched as used)
 * with `git ls-tree` and `git cat-file`, without a checkout. The blob's size is asked first,
 * so a file over max_bytes is refused before a byte of it is read.
 * @throws MeshError INVALID_ARGUMENT (repo_url, commit_sha, path, max_bytes); ensureMirror's
 *   FAILED_PRECONDITION (REPOSITORY_UNREACHABLE) and NOT_FOUND (COMMIT_NOT_FOUND); NOT_FOUND
 *   (FILE_NOT_FOUND, path) for a missing path, a directory, a submodule or a symlink;
 *   FAILED_PRECONDITION (FILE_TOO_LARGE, path: over max_bytes, or over repositoryFileWireMaxBytes)
 *   and (GIT_FAILED)
 */
export function createReadRepositoryFileHandler(deps: MirrorOptions) {
  const timeoutMs = deps.gitTimeoutMs;
  return async function readRepositoryFile(request: ReadRepositoryFileRequest): Promise<ReadRepositoryFileResponse> {
    const url = requireRepoUrl('repo_url', request.repoUrl);
    const sha = requireCommitSha('commit_sha', request.commitSha);
    const path = requireRepositoryPath('path', request.path);
    const maxBytes = requireRepositoryFileMaxBytes('max_bytes', request.maxBytes);
    try {
      const mirror = await ensureMirror(deps, url, sha);
      const entry = await findTreeEntry(mirror.path, sha, path, timeoutMs);
      if (!entry) throw notFound('FILE_NOT_FOUND', `path: ${path} does not exist at ${sha}`, { field: 'path' });
      if (entry.kind !== 'file') throw notFound('FILE_NOT_FOUND', `path: ${path} ${notAFile[entry.kind]} at ${sha}, not a file`, { field: 'path' });
      const sizeBytes = Number((await runGit(['cat-file', '-s', entry.oid], { cwd: mirror.path, timeoutMs })).stdout.trim());
      const limitBytes = Math.min(maxBytes, repositoryFileWireMaxBytes);
      if (sizeBytes > limitBytes) {
        const over = limitBytes < maxBytes ? `the ${limitBytes} bytes a response can carry` : `max_bytes (${maxBytes})`;
        throw failedPrecondition('FILE_TOO_LARGE', `path: ${path} is ${sizeBytes} bytes at ${sha}, over ${over}`,
          { field: 'path', facts: { size_bytes: String(sizeBytes), max_bytes: String(limitBytes) } });
      }
      const blob = await runGitBytes(['cat-file', 'blob', entry.oid], { cwd: mirror.path, timeoutMs, maxOutputBytes: limitBytes });
      return { content: blob.stdout };
    } catch (caught) {
      throw mapGitError(caught, `read ${path} at ${sha}`);
    }
  };
}
