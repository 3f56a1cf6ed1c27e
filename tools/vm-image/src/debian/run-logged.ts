import { spawn } from 'node:child_process';

/** Options of {@link runLogged}. */
export interface RunLoggedOptions {
  /** Called with each line the program writes to stdout or stderr. */
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Lines kept for the error message of a failed run. */
const tailLines = 40;

/**
 * Runs a program (no shell), passing its output on line by line: for long steps (mmdebstrap,
 * mkfs, qemu-img) whose progress is worth showing.
 *
 * @throws Error naming the command, its exit status and its last output lines when it cannot
 *   start or exits non-zero.
 */
export function runLogged(file: string, args: readonly string[], options: RunLoggedOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      // mkfs.ext4 lives in sbin, which a non-root PATH may lack.
      env: { ...(options.env ?? process.env), PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const lines = (partial = { text: '' }) => (chunk: Buffer) => {
      const parts = (partial.text + chunk.toString()).split('\n');
      partial.text = parts.pop() ?? '';
      for (const line of parts) {
        tail.push(line);
        if (tail.length > tailLines) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', lines());
    child.stderr.on('data', lines());
    child.on('error', (error) => reject(new Error(`${file}: cannot start: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')}: exit ${code ?? signal}\n${tail.join('\n')}`));
    });
  });
}
