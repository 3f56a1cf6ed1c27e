import { readFile, rm, writeFile } from 'node:fs/promises';

/** A held lock: release it once done. */
export interface DirLock {
  release(): Promise<void>;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the lock file `path` (created exclusively, holding our pid) unless a live process holds
 * it; a lock whose process is gone is taken over.
 * @returns the lock, or undefined when another live process holds it
 */
export async function acquireDirLock(path: string): Promise<DirLock | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (holder && isAlive(holder)) return undefined;
      await rm(path, { force: true });
    }
  }
  return undefined;
}
