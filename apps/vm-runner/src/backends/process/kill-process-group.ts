import { isGroupAlive } from './process-identity.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Ends a job's whole process group: SIGTERM, then SIGKILL once `graceMs` passed
 * (at once with `force`). Children the script started go too, since they share the group.
 * @returns `sigterm` when the group left in time, `sigkill` when it had to be killed, `none` when nothing ran
 */
export async function killProcessGroup(pgid: number, options: { graceMs: number; force?: boolean }): Promise<'sigterm' | 'sigkill' | 'none'> {
  if (pgid <= 0 || !isGroupAlive(pgid)) return 'none';
  if (!options.force) {
    signalGroup(pgid, 'SIGTERM');
    for (const until = Date.now() + options.graceMs; Date.now() < until; ) {
      if (!isGroupAlive(pgid)) return 'sigterm';
      await sleep(25);
    }
  }
  signalGroup(pgid, 'SIGKILL');
  for (const until = Date.now() + 5000; isGroupAlive(pgid) && Date.now() < until; ) await sleep(10);
  return 'sigkill';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone in the meantime.
  }
}
