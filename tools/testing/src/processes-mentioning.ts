import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Pids of live processes whose command line mentions `text` (e.g. a test's state dir), or that run in a folder under it. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const cwd = (() => {
        try { return readlinkSync(`/proc/${entry}/cwd`); } catch { return ''; }
      })();
      if ((cmdline.includes(text) || cwd.startsWith(text)) && stat[stat.lastIndexOf(')') + 2] !== 'Z') pids.push(Number(entry));
    } catch { /* gone */ }
  }
  return pids;
}

/** SIGKILLs every live process mentioning `text` (test clean-up: no qemu survives a test). */
export function killProcessesMentioning(text: string): void {
  for (const pid of processesMentioning(text)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
