import { spawn } from 'node:child_process';

/**
 * Runs a program (no shell) and resolves with its stdout.
 *
 * @throws Error naming the command, its exit status and stderr when it fails to start or exits non-zero.
 */
export function runCommand(file: string, args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => reject(new Error(`${file}: cannot start (is it installed?): ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${file} failed (${code ?? signal}): ${stderr.trim().slice(0, 2000)}`));
    });
  });
}
