import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createGuestAgent, type GuestAgent } from './guest-agent.ts';
import { isPidAlive, readProcessArgv, waitUntilDead } from './process-liveness.ts';
import { runDirFiles } from './run-dir-files.ts';

/** A qemu VM started by launchQemu or found again by attachQemu. */
export interface QemuProcess {
  pid: number;
  runDir: string;
  qmpSocketPath: string;
  /** The guest agent channel (connects lazily). */
  agent: GuestAgent;
  /** The pid is a live (not zombie) process and is still the qemu of this runDir. */
  isAlive(): boolean;
  /** Resolves when the qemu process is gone (polls /proc: qemu may not be our child). */
  exited: Promise<void>;
}

/**
 * Whether `pid` is a live qemu started for `runDir`: its argv names this run directory's QMP
 * socket, which guards against a recycled pid.
 */
export function isQemuOfRunDir(pid: number, runDir: string): boolean {
  if (!isPidAlive(pid)) return false;
  const argv = readProcessArgv(pid);
  const qmpArg = qmpChardevArg(runDir);
  return argv !== undefined && argv.includes(qmpArg);
}

/** The `-qmp` argument of the VM of `runDir` (also how a qemu is recognised as that VM's). */
export function qmpChardevArg(runDir: string): string {
  return `unix:${escapeOption(runDirFiles(runDir).qmpSocket)},server=on,wait=off`;
}

/** qemu option values escape a comma by doubling it. */
export function escapeOption(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Reads the pid qemu wrote to the run directory, if any. */
export function readPid(runDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(runDirFiles(runDir).pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the handle of a known-live qemu. */
export function createQemuProcess(pid: number, runDir: string): QemuProcess {
  const files = runDirFiles(runDir);
  // Once gone, a pid is never this VM again (it could be recycled by another process).
  let gone = false;
  const isAlive = (): boolean => {
    if (!gone && !isQemuOfRunDir(pid, runDir)) gone = true;
    return !gone;
  };
  return {
    pid,
    runDir: path.resolve(runDir),
    qmpSocketPath: files.qmpSocket,
    agent: createGuestAgent(files.agentSocket, { isAlive }),
    isAlive,
    exited: waitUntilDead(isAlive),
  };
}
