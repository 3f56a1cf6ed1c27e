import path from 'node:path';

/** Files a qemu VM keeps in its run directory; vm-runner finds a VM again through them. */
export interface RunDirFiles {
  /** Written by qemu (`-pidfile`). */
  pidFile: string;
  /** QMP monitor (unix socket, qemu is the server). */
  qmpSocket: string;
  /** Guest agent channel (unix socket, qemu is the server; one client at a time). */
  agentSocket: string;
  /** Guest serial console (kernel and /init messages). */
  consoleLog: string;
  /** qemu's own stdout and stderr. */
  qemuLog: string;
  /** `launch.json`: how the VM was launched (name, accel, argv, start time). */
  launchRecord: string;
}

/** Unix socket paths longer than this fail to bind (sun_path is 108 bytes with the NUL). */
export const maxSocketPathBytes = 107;

/** Names the files of a run directory (absolute paths). */
export function runDirFiles(runDir: string): RunDirFiles {
  const dir = path.resolve(runDir);
  return {
    pidFile: path.join(dir, 'qemu.pid'),
    qmpSocket: path.join(dir, 'qmp.sock'),
    agentSocket: path.join(dir, 'agent.sock'),
    consoleLog: path.join(dir, 'console.log'),
    qemuLog: path.join(dir, 'qemu.log'),
    launchRecord: path.join(dir, 'launch.json'),
  };
}
