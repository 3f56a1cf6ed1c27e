import { execFile } from 'node:child_process';

/** Output of a finished git command. */
export interface GitOutput {
  stdout: string;
  stderr: string;
}

/** A failed git command, with its exit code and stderr. */
export class GitError extends Error {
  readonly exitCode: number | string | undefined;
  readonly stderr: string;
  constructor(args: readonly string[], exitCode: number | string | undefined, stderr: string, cause: unknown) {
    super(`git ${args[0] ?? ''} failed (${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`, { cause });
    this.name = 'GitError';
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Transports git may use, here and in submodules: never `ext::` (runs commands) nor `fd::`. */
const allowedProtocols = 'file:https:http:ssh:git';

/**
 * Runs git with arguments (execFile, never a shell), no prompts, no system or
 * global configuration, and only the allowed transports.
 * @throws GitError on a non-zero exit or a timeout
 */
export function runGit(args: readonly string[], options: { cwd?: string; timeoutMs: number }): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/nonexistent',
        SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK ?? '',
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_ALLOW_PROTOCOL: allowedProtocols,
        LC_ALL: 'C',
      },
    }, (error, stdout, stderr) => {
      if (error) reject(new GitError(args, (error as { code?: number | string }).code, String(stderr), error));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
