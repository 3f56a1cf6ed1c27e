import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A vm-runner process started the way `nx run vm-runner:serve` starts it. */
export interface VmRunnerProcess {
  child: ChildProcess;
  /** Resolves the port once the process logs "vm-runner serving"; rejects if it exits first. */
  serving: Promise<number>;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
}

/** Spawns `node apps/vm-runner/src/main.ts` on 127.0.0.1:0 with the given environment. */
export function spawnVmRunner(env: Record<string, string>): VmRunnerProcess {
  const child = spawn(process.execPath, [mainPath], {
    env: { ...process.env, JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', ...env },
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
          if (entry.message === 'vm-runner serving' && entry.port) resolve(entry.port);
        } catch { /* a partial line */ }
      }
    });
    child.stderr!.on('data', (data) => (text += data));
    void exited.then((code) => reject(new Error(`vm-runner exited with ${code} before serving:\n${text}`)));
  });
  serving.catch(() => undefined);
  return { child, serving, exited, output: () => text };
}
