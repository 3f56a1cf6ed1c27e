import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process groups of a VM's jobs, found through the `JOBMESH_VM_ID=<id>` every job
 * (and everything it starts) inherits. This catches a job even when vm-runner died
 * between spawning it and saving its pid, so a restart never leaves one behind.
 * Processes of other users whose environ we cannot read are skipped.
 */
export function findVmProcessGroups(vmId: string): number[] {
  const marker = `JOBMESH_VM_ID=${vmId}\0`;
  const groups = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(fields[2]);
      if (fields[0] !== 'Z' && pgid > 1) groups.add(pgid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return [...groups];
}
