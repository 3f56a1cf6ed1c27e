import { failedPrecondition, notFound } from '@jobmesh/grpc-kit';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyLock } from '../transfers/create-key-lock.ts';
import { runGit } from './run-git.ts';

/** Where mirrors live and how long git may take. */
export interface MirrorOptions {
  mirrorsDir: string;
  gitTimeoutMs: number;
  lock: KeyLock;
  /** Whether git may use fsops' SSH agent for this repository URL. @default never */
  sshAgentFor?: (url: string) => boolean;
}

/** Names of mirrors in the mirrors folder: `<first 32 hex digits of sha256(url)>.git`. */
export const mirrorPathPattern = /^[0-9a-f]{32}\.git$/;

/** Where the mirror of `url` lives (whether or not it exists yet). */
export function mirrorPathOf(mirrorsDir: string, url: string): string {
  return join(mirrorsDir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.git`);
}

/**
 * Marks an existing mirror as used now, under its lock (PruneMirrors, under the same lock,
 * then leaves it alone). @returns false when there is no mirror
 */
export async function touchMirror(options: Pick<MirrorOptions, 'lock'>, path: string): Promise<boolean> {
  return options.lock.run(`mirror:${path}`, async () => {
    const now = new Date();
    return utimes(path, now, now).then(() => true, () => false);
  });
}

const hasCommit = (mirror: string, sha: string, timeoutMs: number) =>
  runGit(['cat-file', '-e', `${sha}^{commit}`], { cwd: mirror, timeoutMs }).then(() => true, () => false);

/**
 * Makes sure the bare mirror of `url` holds `sha`: cloned once (to a
 * temporary name, then renamed, so a crash never leaves half a mirror), then
 * only fetched into when a commit is missing, so a second job on the same
 * repository transfers only what is new.
 * @returns the mirror's path
 * @throws MeshError FAILED_PRECONDITION (REPOSITORY_UNREACHABLE), NOT_FOUND (COMMIT_NOT_FOUND)
 */
export async function ensureMirror(options: MirrorOptions, url: string, sha: string): Promise<{ path: string; fetched: boolean }> {
  const path = mirrorPathOf(options.mirrorsDir, url);
  return options.lock.run(`mirror:${path}`, async () => {
    const found = await ensureMirrorLocked(options, url, sha, path);
    // The mirror's mtime is its last use: retention (PruneMirrors) removes mirrors unused past its cutoff.
    const now = new Date();
    await utimes(path, now, now);
    return found;
  });
}

/** ensureMirror's work, under the mirror's lock. */
async function ensureMirrorLocked(options: MirrorOptions, url: string, sha: string, path: string): Promise<{ path: string; fetched: boolean }> {
  const timeoutMs = options.gitTimeoutMs;
  // Only commands that reach the remote get the agent, and only for a host the operator listed.
  const sshAgent = options.sshAgentFor?.(url) ?? false;
  let fetched = false;
  if (!(await stat(path).then(() => true, () => false))) {
    await mkdir(options.mirrorsDir, { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await runGit(['clone', '--mirror', '--quiet', '--', url, temp], { timeoutMs, sshAgent });
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw failedPrecondition('REPOSITORY_UNREACHABLE', `cannot clone ${url}`, { cause: error });
    }
    fetched = true;
  }
  if (await hasCommit(path, sha, timeoutMs)) return { path, fetched };
  try {
    await runGit(['fetch', '--prune', '--quiet', 'origin'], { cwd: path, timeoutMs, sshAgent });
  } catch (error) {
    throw failedPrecondition('REPOSITORY_UNREACHABLE', `cannot fetch ${url}`, { cause: error });
  }
  // A commit no ref reaches: some servers still hand it out when asked by name.
  if (!(await hasCommit(path, sha, timeoutMs))) await runGit(['fetch', '--quiet', 'origin', sha], { cwd: path, timeoutMs, sshAgent }).catch(() => undefined);
  if (!(await hasCommit(path, sha, timeoutMs))) throw notFound('COMMIT_NOT_FOUND', `commit ${sha} is not in ${url}`);
  return { path, fetched: true };
}
