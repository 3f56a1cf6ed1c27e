import type { PrepareWorkspaceRequest, PrepareWorkspaceResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobKind, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { alreadyExists } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Roots } from '../paths/create-roots.ts';
import type { FsJobRecorder } from '../records/create-fs-job-recorder.ts';
import type { KeyLock } from '../transfers/create-key-lock.ts';
import { manifestSha256 } from '@jobmesh/artifacts';
import { optionalUuid } from '../transfers/validate-transfer-fields.ts';
import { ensureMirror, mirrorPathOf, touchMirror } from './ensure-mirror.ts';
import { mapGitError } from './map-git-error.ts';
import { GitError, runGit, runGitScript } from './run-git.ts';
import { requireCommitSha, requireRepoUrl, requireWorkspaceKey } from './validate-checkout-fields.ts';

/** Exit code of the checkout script when the mirror lacks the commit. */
const commitMissing = 97;

/**
 * A detached checkout of `$3` from the mirror `$1` into `$2`, its origin set to `$4`: three git
 * processes (clone writes fsops.repourl itself). A local clone hard-links the mirror's objects
 * (same filesystem), so it costs little whatever the repository's size; no template (sample hooks
 * nobody runs, which every VM would copy too). With `$5` = probe, a failed checkout ends the
 * script with exit code 97: the mirror may lack the commit, so ensureMirror fetches and the script
 * runs again without the probe (a failure for another reason then shows its own message).
 */
const checkoutScript = `set -e
git clone --template= --no-checkout --quiet --config fsops.repourl="$4" -- "$1" "$2"
cd "$2"
if [ "$5" = probe ]; then git -c advice.detachedHead=false checkout --quiet --detach "$3" 2>/dev/null || exit ${commitMissing}
else git -c advice.detachedHead=false checkout --quiet --detach "$3"; fi
git remote set-url origin "$4"`;

/** What checkouts need. */
export interface WorkspaceDeps {
  roots: Roots;
  mirrorsDir: string;
  gitTimeoutMs: number;
  lock: KeyLock;
  recorder: FsJobRecorder;
  logger: Logger;
  /** Whether git may use fsops' SSH agent for a repository URL (JOBMESH_REPO_URL_ALLOW). @default never */
  sshAgentFor?: (url: string) => boolean;
}

/**
 * The PrepareWorkspace handler: a detached checkout of the commit, cloned
 * locally from the repository's mirror into a temporary directory of the
 * workspace root and renamed into place, so a workspace under its final name
 * is always complete. Idempotent by key.
 */
export function createPrepareWorkspaceHandler(deps: WorkspaceDeps) {
  const timeoutMs = deps.gitTimeoutMs;
  return async function prepareWorkspace(request: PrepareWorkspaceRequest): Promise<PrepareWorkspaceResponse> {
    const key = requireWorkspaceKey('key', request.key);
    const url = requireRepoUrl('repo_url', request.repoUrl);
    const sha = requireCommitSha('commit_sha', request.commitSha);
    const jobRequestId = optionalUuid('job_request_id', request.jobRequestId);
    const workspace = join(deps.roots.workspace, key);
    return deps.lock.run(`workspace:${key}`, async () => {
      if (await lstat(workspace).then(() => true, () => false)) {
        const head = await runGit(['rev-parse', 'HEAD'], { cwd: workspace, timeoutMs }).then((o) => o.stdout.trim(), () => '');
        const origin = await runGit(['config', '--get', 'fsops.repourl'], { cwd: workspace, timeoutMs }).then((o) => o.stdout.trim(), () => '');
        if (head === sha && origin === url) return { workspacePath: workspace, commitSha: sha };
        throw alreadyExists('WORKSPACE_CONFLICT', `workspace ${key} holds another repository or commit`);
      }
      const id = `checkout:${key}`;
      deps.recorder.record({ type: 'started', request: { id, kind: FsJobKind.FS_JOB_KIND_CHECKOUT, source: url, destination: workspace,
        transferMode: TransferMode.TRANSFER_MODE_UNSPECIFIED, bytesTotal: 0, filesTotal: 0, jobRequestId } });
      const temp = join(deps.roots.workspace, `.${key}.${randomBytes(6).toString('hex')}.fsops-tmp`);
      try {
        await removeStaleCheckouts(deps.roots.workspace, key);
        const mirrorPath = mirrorPathOf(deps.mirrorsDir, url);
        const checkout = (probe: boolean) => runGitScript('checkout', checkoutScript, [mirrorPath, temp, sha, url, probe ? 'probe' : ''], { timeoutMs });
        // The usual case, a mirror that holds the commit: one process does it all. Otherwise (no
        // mirror, or the commit is new) ensureMirror clones or fetches first, and it runs again.
        const done = (await touchMirror(deps, mirrorPath)) && (await checkout(true).then(() => true, async (error: unknown) => {
          if (!(error instanceof GitError && error.exitCode === commitMissing)) throw error;
          await rm(temp, { recursive: true, force: true });
          return false;
        }));
        if (!done) {
          await ensureMirror({ mirrorsDir: deps.mirrorsDir, gitTimeoutMs: timeoutMs, lock: deps.lock, sshAgentFor: deps.sshAgentFor }, url, sha);
          await checkout(false);
        }
        await rename(temp, workspace);
      } catch (caught) {
        await rm(temp, { recursive: true, force: true });
        const error = mapGitError(caught, `checkout ${key}`);
        deps.recorder.record({ type: 'failed', request: { id, error: `${error.reason}: ${error.message}`, attempt: 0 } });
        throw error;
      }
      deps.recorder.record({ type: 'completed', request: { id, bytesDone: 0, filesDone: 0, snapshot: [], manifestSha256: manifestSha256([]) } });
      deps.logger.info('workspace prepared', { key, commit: sha });
      return { workspacePath: workspace, commitSha: sha };
    });
  };
}

/** Removes temporary checkouts of `key` a crashed attempt left. */
async function removeStaleCheckouts(root: string, key: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (name.startsWith(`.${key}.`) && name.endsWith('.fsops-tmp')) await rm(join(root, name), { recursive: true, force: true });
  }
}
