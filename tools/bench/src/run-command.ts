import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs a command (no shell), resolving with its stdout. @throws Error with its stderr when it fails */
export async function runCommand(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { maxBuffer: 64 * 2 ** 20, ...(options.cwd ? { cwd: options.cwd } : {}), env: { ...process.env, ...options.env } });
  return stdout;
}
