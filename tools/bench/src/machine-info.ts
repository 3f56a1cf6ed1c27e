import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';

/** Where and when a run happened: the header of BENCHMARKS.md. */
export interface MachineInfo {
  date: string;
  commit: string;
  /** True when the working tree had changes the commit does not hold. */
  dirty: boolean;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  /** Whether /dev/kvm exists (the vm suite runs TCG either way). */
  kvm: boolean;
}

const git = (root: string, ...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

/** Reads the machine, Node, commit; `postgres` is the server's `version()` string. */
export function machineInfo(root: string, postgres: string): MachineInfo {
  return {
    date: new Date().toISOString(),
    commit: git(root, 'rev-parse', '--short=12', 'HEAD') || 'unknown',
    dirty: git(root, 'status', '--porcelain').length > 0,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    // Presence only: where /dev/kvm existed, guests could still hang (STACK.md), and the vm suite runs TCG anyway.
    kvm: existsSync('/dev/kvm'),
  };
}
