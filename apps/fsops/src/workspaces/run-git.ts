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

/** Options of one git command. */
export interface RunGitOptions {
  cwd?: string;
  timeoutMs: number;
  /**
   * Hand this process's SSH agent (SSH_AUTH_SOCK) to git's ssh: only for a host the operator
   * listed (isSshAgentHost), since the remote end of an agent connection can sign with every
   * key it holds. Without it ssh also ignores an agent named in ~/.ssh/config. @default false
   */
  sshAgent?: boolean;
}

/**
 * Runs git with arguments (execFile, never a shell), no prompts, no system or
 * global configuration, only the allowed transports, and the SSH agent only when asked.
 * @throws GitError on a non-zero exit or a timeout
 */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<GitOutput> {
  const { stdout, stderr } = await runGitBytes(args, { ...options, maxOutputBytes: 64 * 1024 * 1024 });
  return { stdout: stdout.toString('utf8'), stderr };
}

/**
 * runGit with stdout as bytes (a blob's content). At most `maxOutputBytes` of stdout (and of
 * stderr) are ever held: git is killed at the first byte more.
 * @throws GitError on a non-zero exit, a timeout or more output than maxOutputBytes
 */
export function runGitBytes(args: readonly string[], options: RunGitOptions & { maxOutputBytes: number }): Promise<{ stdout: Buffer; stderr: string }> {
  return runInGitEnv('git', args, args, options);
}

/**
 * Runs a POSIX sh script of several git commands as one process, `$1`… being `args` (never
 * interpolated into the script), with runGit's environment. One spawn from this process instead
 * of one per command: spawning from a Node process of 100+ MiB costs milliseconds of its CPU,
 * while sh forks git cheaply.
 * @throws GitError on a non-zero exit (the script's own code) or a timeout
 */
export async function runGitScript(name: string, script: string, args: readonly string[], options: RunGitOptions): Promise<GitOutput> {
  const { stdout, stderr } = await runInGitEnv('sh', ['-c', script, `fsops-${name}`, ...args], [name, ...args], { ...options, maxOutputBytes: 64 * 1024 * 1024 });
  return { stdout: stdout.toString('utf8'), stderr };
}

function runInGitEnv(file: string, argv: readonly string[], described: readonly string[], options: RunGitOptions & { maxOutputBytes: number }): Promise<{ stdout: Buffer; stderr: string }> {
  const agent = options.sshAgent === true && process.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK } : {};
  return new Promise((resolve, reject) => {
    execFile(file, [...argv], {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      encoding: 'buffer',
      maxBuffer: options.maxOutputBytes,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/nonexistent',
        ...agent,
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? (options.sshAgent ? 'ssh -o BatchMode=yes' : 'ssh -o BatchMode=yes -o IdentityAgent=none'),
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_ALLOW_PROTOCOL: allowedProtocols,
        LC_ALL: 'C',
      },
    }, (error, stdout, stderr) => {
      if (error) reject(new GitError(described, (error as { code?: number | string }).code, String(stderr), error));
      else resolve({ stdout, stderr: String(stderr) });
    });
  });
}
