import { invalidArgument } from '@jobmesh/grpc-kit';

const workspaceKey = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,189}$/;
const commit = /^([0-9a-f]{40}|[0-9a-f]{64})$/;
const schemeUrl = /^(https?|ssh|git|file):\/\/[^\s]+$/;
// scp-style `user@host:path` or `host:path`; the host must not start with `-` (option injection) nor hold `/`.
const scpUrl = /^([A-Za-z0-9._~-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:[^\s]+$/;

/** A workspace key: names a directory, so no `/` and no leading `.`. @throws MeshError INVALID_ARGUMENT */
export function requireWorkspaceKey(field: string, key: string): string {
  if (!workspaceKey.test(key)) throw invalidArgument(field, 'must be 1 to 190 letters, digits and ._-, not starting with .');
  return key;
}

/** A full commit SHA (SHA-1 or SHA-256 repositories). @throws MeshError INVALID_ARGUMENT */
export function requireCommitSha(field: string, sha: string): string {
  if (!commit.test(sha)) throw invalidArgument(field, 'must be 40 or 64 lower-case hex digits');
  return sha;
}

/**
 * A repository URL git may fetch: https://, http://, ssh://, git://, file://
 * or scp-style. Anything else (`ext::`, a leading `-`, spaces, NUL) is refused.
 * @throws MeshError INVALID_ARGUMENT
 */
export function requireRepoUrl(field: string, url: string): string {
  const ok = url.length <= 2048 && !url.startsWith('-') && !url.includes('\0') && !url.includes('::')
    && (schemeUrl.test(url) || scpUrl.test(url));
  if (!ok) throw invalidArgument(field, 'must be an https://, ssh://, scp-style (user@host:path) or file:// URL');
  return url;
}
