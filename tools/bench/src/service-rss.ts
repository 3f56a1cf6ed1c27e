import { readdirSync, readFileSync } from 'node:fs';

/** The four services' entry points, as they appear in a process's command line. */
export const serviceEntries = {
  persistence: 'apps/persistence/src/main.ts',
  'vm-runner': 'apps/vm-runner/src/main.ts',
  fsops: 'apps/fsops/src/main.ts',
  orchestrator: 'apps/orchestrator/src/main.ts',
} as const;

/** Resident set size of a process in MiB (VmRSS of /proc/<pid>/status); undefined when it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pids of the services this process started (its direct children whose command line names
 * the service's main.ts), by service.
 */
export function servicePids(): Record<keyof typeof serviceEntries, number[]> {
  const result: Record<keyof typeof serviceEntries, number[]> = { persistence: [], 'vm-runner': [], fsops: [], orchestrator: [] };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      for (const [name, path] of Object.entries(serviceEntries) as [keyof typeof serviceEntries, string][]) {
        if (cmdline.includes(path)) result[name].push(Number(entry));
      }
    } catch { /* gone */ }
  }
  return result;
}

/** `count` readings of the RSS (MiB) of each pid, `everyMs` apart: a level that moves (GC, allocation) shows its spread. */
export async function rssReadings<K extends string>(pids: Partial<Record<K, number>>, count = 5, everyMs = 200): Promise<Partial<Record<K, number>>[]> {
  const readings: Partial<Record<K, number>>[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
    const reading: Partial<Record<K, number>> = {};
    for (const [name, pid] of Object.entries(pids) as [K, number | undefined][]) {
      const mib = pid === undefined ? undefined : rssMiB(pid);
      if (mib !== undefined) reading[name] = mib;
    }
    readings.push(reading);
  }
  return readings;
}
