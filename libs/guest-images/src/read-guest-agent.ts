import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const guestDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'guest');

/** The guest agent's POSIX sh scripts (agent.sh, job.sh, poweroff.sh) by file name, for guests that get them through cloud-init. */
export async function readGuestAgent(): Promise<Record<'agent.sh' | 'job.sh' | 'poweroff.sh', string>> {
  const read = (name: string) => readFile(path.join(guestDir, name), 'utf8');
  return { 'agent.sh': await read('agent.sh'), 'job.sh': await read('job.sh'), 'poweroff.sh': await read('poweroff.sh') };
}
