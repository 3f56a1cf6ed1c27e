import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory and open file descriptors of one process, read from /proc. */
export interface ProcessStats {
  rssMiB: number;
  openFds: number;
}

/** @returns the stats, or undefined when the process is gone */
export function processStats(pid: number | undefined): ProcessStats | undefined {
  if (!pid) return undefined;
  try {
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { rssMiB: Math.round(rssKiB / 102.4) / 10, openFds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}
