import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null' };

/** A local git repository to check out from. */
export interface GitRepo {
  dir: string;
  /** `file://` URL of it. */
  url: string;
  /** Commits the files (path → content) and returns the commit's full SHA. */
  commit(files: Record<string, string>, message: string): Promise<string>;
}

/** `git init` in `dir` (on branch main). */
export async function makeGitRepo(dir: string): Promise<GitRepo> {
  await mkdir(dir, { recursive: true });
  await run('git', ['init', '--quiet', '--initial-branch=main', dir], { env });
  return {
    dir,
    url: `file://${dir}`,
    async commit(files, message) {
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), content);
      }
      await run('git', ['add', '--all'], { cwd: dir, env });
      await run('git', ['commit', '--quiet', '-m', message], { cwd: dir, env });
      return (await run('git', ['rev-parse', 'HEAD'], { cwd: dir, env })).stdout.trim();
    },
  };
}
