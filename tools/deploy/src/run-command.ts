import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Options of runCommand: the child's folder, environment additions and stdin. */
export interface CommandOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Longest run, in ms. @default none */
  timeoutMs?: number;
}

/**
 * Runs a program (no shell) and collects its output (up to 256 MiB).
 * @throws Error naming the command, its exit and the end of its stderr
 */
export async function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, args, {
      cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 0, maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as Error & { stderr?: string; code?: number | string; signal?: string };
    throw new Error(`${file} ${args.join(' ')}: exit ${failed.code ?? failed.signal}: ${(failed.stderr ?? failed.message).trim().slice(-3000)}`, { cause: error });
  }
}

/** runCommand's stdout, trimmed. */
export async function commandOutput(file: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  return (await runCommand(file, args, options)).stdout.trim();
}
