import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSec = 100; // USER_HZ on Linux

/** CPU time of a process in ms: its own (user + system) and that of children it waited for. */
export function processCpuMs(pid: number): { own: number; children: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    const ms = (i: number) => (Number(f[i]) / ticksPerSec) * 1000;
    return { own: ms(11) + ms(12), children: ms(13) + ms(14) };
  } catch {
    return undefined;
  }
}

/** CPU ms of a Postgres server: the postmaster (and the backends it reaped) plus its live children. */
export function postgresCpuMs(postmasterPid: number): number {
  const own = processCpuMs(postmasterPid);
  let total = own ? own.own + own.children : 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== postmasterPid) continue;
      total += processCpuMs(Number(entry))?.own ?? 0;
    } catch { /* gone */ }
  }
  return total;
}
