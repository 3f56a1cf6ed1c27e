import { spawn } from 'node:child_process';

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  cwd?: string;
  /** Bytes written to the child's stdin, then closed. */
  input?: Buffer;
  /** Where stdout goes: collected (default) or a file descriptor. */
  stdoutFd?: number;
}

/**
 * Runs a program (no shell) and collects its output.
 *
 * @throws Error naming the command and its stderr when it cannot start or exits non-zero.
 */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      // mkfs.ext4 and modprobe live in sbin, which a non-root PATH may lack.
      env: { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin` },
      stdio: [options.input ? 'pipe' : 'ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => reject(new Error(`${file}: cannot start: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code ?? signal}: ${stderr.trim().slice(0, 2000)}`));
    });
    if (options.input) {
      child.stdin?.on('error', () => { /* the close handler reports the failure */ });
      child.stdin?.end(options.input);
    }
  });
}
