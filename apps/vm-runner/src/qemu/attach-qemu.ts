import path from 'node:path';
import { createQemuProcess, isQemuOfRunDir, readPid, type QemuProcess } from './qemu-process.ts';

/**
 * Finds the qemu of a run directory again (after a vm-runner restart): its pid file names a
 * live process whose argv is this runDir's qemu. The returned handle's agent connects anew;
 * `agent.status()` tells whether the job is idle, running or finished.
 *
 * @returns the handle, or undefined when there is no pid file or that qemu is gone.
 */
export async function attachQemu(runDir: string): Promise<QemuProcess | undefined> {
  const dir = path.resolve(runDir);
  const pid = readPid(dir);
  if (pid === undefined || !isQemuOfRunDir(pid, dir)) return undefined;
  return createQemuProcess(pid, dir);
}
