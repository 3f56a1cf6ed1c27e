import { readFileSync } from 'node:fs';

/**
 * Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat),
 * or undefined when it does not exist. Together with the pid it names one process:
 * after a restart a recorded pid may belong to someone else.
 */
export function processStartTicks(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z') return undefined; // a zombie is dead for our purposes
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** True when `pid` still is the process that started at `startTicks`. */
export function isSameProcess(pid: number, startTicks: number): boolean {
  return pid > 0 && processStartTicks(pid) === startTicks;
}

/** True when any process of group `pgid` is still alive. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
