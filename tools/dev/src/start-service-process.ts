import { spawn, type ChildProcess } from 'node:child_process';
import { serviceNodeEnv } from '@jobmesh/config';
import { createInterface } from 'node:readline';

const colours = [36, 35, 33, 32, 34];

/** A service of the mesh as a child process. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  isAlive(): boolean;
  exited: Promise<number | null>;
}

/**
 * Starts `node <entry>` (the pinned Node: process.execPath) as one process, so
 * SIGTERM reaches the server itself, and prefixes each output line with the
 * service name in a colour of its own.
 */
export function startServiceProcess(name: string, entry: string, env: NodeJS.ProcessEnv, index: number, width: number): ServiceProcess {
  // The services' own Node settings (compile cache, heap), unless env sets them.
  const child = spawn(process.execPath, [entry], { env: { ...env, ...serviceNodeEnv(env) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const colour = colours[index % colours.length];
  const prefix = process.stdout.isTTY ? `\x1b[${colour}m${name.padEnd(width)}\x1b[0m │ ` : `${name.padEnd(width)} │ `;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(prefix + line + '\n'));
  }
  let alive = true;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((alive = false), resolve(code))));
  return { name, child, isAlive: () => alive, exited };
}
