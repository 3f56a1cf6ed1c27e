import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** An fsops process started the way `nx run fsops:serve` starts it. */
export interface FsopsProcess {
  child: ChildProcess;
  /** Resolves the port once the process logs "fsops serving"; rejects if it exits first. */
  serving: Promise<number>;
  /** Resolves the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
}

/** Spawns `node apps/fsops/src/main.ts` with the given environment on 127.0.0.1:0. */
export function spawnFsops(env: Record<string, string>): FsopsProcess {
  const child = spawn(process.execPath, [mainPath], {
    env: { ...process.env, JOBMESH_FSOPS_ADDR: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const serving = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (data) => {
      text += data;
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { message?: string; port?: number };
          if (entry.message === 'fsops serving' && entry.port) resolve(entry.port);
        } catch { /* a partial line */ }
      }
    });
    child.stderr!.on('data', (data) => (text += data));
    void exited.then((code) => reject(new Error(`fsops exited with ${code} before serving:\n${text}`)));
  });
  serving.catch(() => undefined);
  return { child, serving, exited, output: () => text };
}
