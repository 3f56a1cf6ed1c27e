import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** What a mesh left behind under its data folder once every job ended. */
export interface Leftovers {
  /** Processes whose working directory is under the data folder (VM jobs). */
  processes: number;
  vmDirs: number;
  workspaces: number;
  stagingFiles: number;
}

function processesUnder(dir: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) count++;
    } catch { /* gone, or not ours */ }
  }
  return count;
}

/** fsops' record journal (`<staging>/.fsops/records`): kept on purpose, not left behind by a job. */
const recordJournal = join('.fsops', 'records');

async function countFiles(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => !e.isDirectory());
  return files.filter((e) => !join(e.parentPath, e.name).startsWith(join(dir, recordJournal))).length;
}

/** Counts VM processes, VM folders, workspaces and staging files of a test mesh's data folder. */
export async function countLeftovers(dataDir: string): Promise<Leftovers> {
  const vmsDir = join(dataDir, 'vm-runner', 'vms');
  return {
    processes: processesUnder(dataDir),
    vmDirs: existsSync(vmsDir) ? (await readdir(vmsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).length : 0,
    workspaces: existsSync(join(dataDir, 'workspaces')) ? (await readdir(join(dataDir, 'workspaces'))).length : 0,
    stagingFiles: await countFiles(join(dataDir, 'staging')),
  };
}
