import { readFileSync } from 'node:fs';

/**
 * Whether a pid is a live process. Zombie-aware: PID 1 on these machines may never reap
 * orphans, so `kill(pid, 0)` would call a dead, re-parented qemu alive.
 */
export function isPidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The argv of a process, or undefined when it is gone or unreadable. */
export function readProcessArgv(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((arg, index, all) => arg !== '' || index < all.length - 1);
  } catch {
    return undefined;
  }
}

/** Resolves once `isAlive()` turns false, polling every `pollMs`. */
export function waitUntilDead(isAlive: () => boolean, pollMs = 100): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!isAlive()) resolve();
      else setTimeout(check, pollMs).unref();
    };
    check();
  });
}
