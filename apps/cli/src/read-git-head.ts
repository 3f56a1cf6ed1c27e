import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from './parse-args.ts';

const run = promisify(execFile);

/** The git repository around a directory, as `jobmesh run` submits it. */
export interface GitHead {
  /** The repository's top folder (absolute). */
  root: string;
  /** The full id of HEAD. */
  commit: string;
  /** `git status --porcelain` lines: tracked changes and untracked files HEAD does not have. */
  changes: string[];
}

/**
 * Reads the repository holding `cwd` (it or a parent): its root, HEAD and whether the working
 * tree differs from HEAD. Ignored files do not count (`git status` leaves them out).
 * @throws InputError when `cwd` is in no git repository, the repository has no commit, or git is missing
 */
export async function readGitHead(cwd: string): Promise<GitHead> {
  const git = async (...args: string[]) => (await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout;
  const root = await git('rev-parse', '--show-toplevel').then((out) => out.trim(), (error: NodeJS.ErrnoException & { stderr?: string }) => {
    if (error.code === 'ENOENT') throw new InputError('jobmesh run needs git on PATH');
    throw new InputError(`jobmesh run works in a git repository: ${cwd} is not in one (${String(error.stderr ?? error.message).trim()})`);
  });
  const commit = await git('rev-parse', '--verify', 'HEAD^{commit}').then((out) => out.trim(), () => {
    throw new InputError(`the repository ${root} has no commit yet: commit first, jobmesh run runs HEAD`);
  });
  const changes = (await git('status', '--porcelain')).split('\n').filter(Boolean);
  return { root, commit, changes };
}
