import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Repositories made by this process, removed when it exits (test files and the bench made hundreds
// and left them all in the temporary folder).
const made = new Set<string>();
let removeOnExit = false;

/**
 * A local git repository with one commit holding `files`, removed when the process exits.
 * @returns its file:// URL, the commit id and its folder
 */
export async function makeGitRepo(files: Record<string, string>): Promise<{ url: string; commit: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'jobmesh-repo-'));
  made.add(dir);
  if (!removeOnExit) {
    removeOnExit = true;
    process.once('exit', () => {
      for (const path of made) rmSync(path, { recursive: true, force: true });
    });
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
  git('init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  git('add', '-A');
  git('commit', '-q', '-m', 'test');
  return { url: `file://${dir}`, commit: git('rev-parse', 'HEAD'), dir };
}
