import { readFile } from 'node:fs/promises';
import { commandOutput } from './run-command.ts';

/**
 * Resident set size (VmRSS) of a container's service process, in MiB, read on the host: the
 * container's init (tini) is `.State.Pid`, the service is its child.
 * @throws Error when the container runs no child process
 */
export async function containerRssMiB(env: Record<string, string>, containerId: string): Promise<number> {
  const init = (await commandOutput('docker', ['inspect', '--format', '{{.State.Pid}}', containerId], { env })).trim();
  const children = (await readFile(`/proc/${init}/task/${init}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  const pid = children[0] ?? init;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!kib) throw new Error(`no VmRSS for ${containerId} (pid ${pid})`);
  return Math.round(kib / 1024);
}
