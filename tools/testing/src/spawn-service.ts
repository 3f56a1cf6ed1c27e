import { spawn, type ChildProcess } from 'node:child_process';
import { serviceNodeEnv } from '@jobmesh/config';

/** A service started as its own process, the way `nx run <app>:serve` starts it. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves the bound port once the service logs "<name> serving"; rejects if it exits first. */
  serving: Promise<number>;
  /** Resolves the exit code. */
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
}

/**
 * Spawns `node <entry>` (the pinned Node) with `env` added to ours, and
 * watches its JSON log lines for `{"message":"<name> serving","port":N}`.
 */
export function spawnService(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  // The services' own Node settings (compile cache, heap), unless the caller's env sets them.
  const merged = { ...process.env, ...env };
  const child = spawn(process.execPath, [entry], { env: { ...merged, ...serviceNodeEnv(merged) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const serving = new Promise<number>((resolve, reject) => {
    // Lines are scanned only until the service served: re-splitting everything it ever printed on
    // each chunk cost the test (or bench) process CPU that grew with the log (quadratic).
    let found = false;
    let scanned = 0;
    child.stdout!.on('data', (data) => {
      text += data;
      if (found) return;
      const end = text.lastIndexOf('\n');
      if (end < scanned) return;
      for (const line of text.slice(scanned, end).split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { message?: string; port?: number };
          if (entry.message === `${name} serving` && entry.port) {
            found = true;
            resolve(entry.port);
          }
        } catch { /* not JSON */ }
      }
      scanned = end + 1;
    });
    child.stderr!.on('data', (data) => (text += data));
    void exited.then((code) => reject(new Error(`${name} exited with ${code} before serving:\n${text.slice(-4000)}`)));
  });
  serving.catch(() => undefined);
  return { child, serving, exited, output: () => text };
}
