import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, ExecOptions, ExecOutcome } from '../backend.ts';
import type { VmRecord } from '../../vms/vm-record.ts';
import { findVmProcessGroups } from './find-vm-process-groups.ts';
import { killProcessGroup } from './kill-process-group.ts';
import { isSameProcess, processStartTicks } from './process-identity.ts';
import { collectHostOutputs } from './collect-host-outputs.ts';
import { copyTree } from './copy-tree.ts';
import { detachedRunFiles } from './detached-run-files.ts';
import { runDetachedJob, type OpenedRun } from './run-detached-job.ts';

/**
 * The process backend: a "VM" is a folder (workspace + job script) and its job
 * runs as a host process with `bash`, in its own process group (detached), so
 * a timeout, Stop or a restarted vm-runner can end it with everything it started.
 *
 * NO ISOLATION: the job runs as vm-runner's user with the host's filesystem and
 * network. Only labels the catalog marks `"backend": "process"` use it.
 */
export function createProcessBackend(): Backend {
  // Jobs running now, by VM id: the group id to kill.
  const running = new Map<string, number>();
  // Detached (rejoinable) jobs being opened or in flight, by VM id.
  const detached = new Map<string, Promise<OpenedRun>>();

  const groupOf = (record: VmRecord) =>
    running.get(record.id) ?? (record.pid > 0 && isSameProcess(record.pid, record.pidStartTicks) ? record.pid : 0);
  // The recorded group first, then any other group still carrying the VM's id (a job
  // spawned just before a crash, or a child that left the group with setsid).
  const stopAll = async (record: VmRecord, options: { graceMs: number; force: boolean }) => {
    const groups = [...new Set([groupOf(record), ...findVmProcessGroups(record.id)].filter((g) => g > 0))];
    const results = await Promise.all(groups.map((group) => killProcessGroup(group, options)));
    return results.includes('sigkill') ? 'sigkill' : results.includes('sigterm') ? 'sigterm' : 'none';
  };

  return {
    name: 'process',
    async prepare(record, _label, payload) {
      const workspace = join(record.vmDir, 'workspace');
      if (payload.workspacePath) await copyTree(payload.workspacePath, workspace);
      else await mkdir(workspace, { recursive: true });
      const scriptPath = join(record.vmDir, 'job.sh');
      await writeFile(scriptPath, payload.script, { mode: 0o700 });
      await writeFile(join(record.vmDir, 'env.json'), JSON.stringify(payload.env), { mode: 0o600 });
      return { overlayPath: workspace, seedPath: scriptPath, runDir: '' };
    },
    start: async () => ({ pid: 0, pidStartTicks: 0, accelerator: '' }),
    waitReady: async () => {},
    exec: (record, options) => (options.rejoin ? runDetachedJob(record, options, detached, groupOf) : runJob(record, options, running)),
    collectOutputs: (record, request) => collectHostOutputs(record.overlayPath, request),
    hasRun: (record) => detached.has(record.id) || detachedRunFiles(record.vmDir).began(),
    stop: (record, options) => stopAll(record, options),
    async destroy(record) {
      await stopAll(record, { graceMs: 0, force: true });
      await rm(record.vmDir, { recursive: true, force: true });
    },
    async reattach(record) {
      // A job outlives vm-runner only as an orphan: its output pipes died with us.
      return groupOf(record) > 0 || findVmProcessGroups(record.id).length > 0;
    },
  };
}

async function runJob(record: VmRecord, options: ExecOptions, running: Map<string, number>): Promise<ExecOutcome> {
  const env = JSON.parse(await readFile(join(record.vmDir, 'env.json'), 'utf8')) as Record<string, string>;
  const child = spawn('bash', [record.seedPath], {
    cwd: record.overlayPath,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: record.overlayPath, JOBMESH_VM_ID: record.id, ...env },
    detached: true, // own process group: killing -pid ends the script and its children
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((resolve) => child.once('error', resolve));
    return { exitCode: 127, signal: '', timedOut: false };
  }
  running.set(record.id, pid);
  // Listeners go on at once: Node discards unread child output once the child exits. Output
  // is held back until the pid is saved, so a client that saw output can rely on a restart
  // finding the job.
  let held: [stream: 'stdout' | 'stderr', data: Buffer][] | undefined = [];
  // A reader that is behind pauses both pipes: the job then blocks on its own writes (backpressure).
  let waits = 0;
  const hold = (wait: void | Promise<void>) => {
    if (!wait) return;
    if (waits++ === 0) for (const pipe of [child.stdout!, child.stderr!]) pipe.pause();
    void wait.then(() => {
      if (--waits === 0) for (const pipe of [child.stdout!, child.stderr!]) pipe.resume();
    });
  };
  const forward = (stream: 'stdout' | 'stderr') => (data: Buffer) => (held ? held.push([stream, data]) : hold(options.onOutput(stream, data)));
  child.stdout!.on('data', forward('stdout'));
  child.stderr!.on('data', forward('stderr'));
  await options.onSpawn?.(pid, processStartTicks(pid) ?? 0);
  for (const [stream, data] of held) hold(options.onOutput(stream, data));
  held = undefined;

  let timedOut = false;
  let killing: Promise<unknown> | undefined;
  const end = () => (killing ??= killProcessGroup(pid, { graceMs: options.killGraceMs }));
  const timer = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), end()), options.timeoutMs) : undefined;
  const onAbort = () => void end();
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  const exit = await exited;
  clearTimeout(timer);
  options.signal.removeEventListener('abort', onAbort);
  // The script is done; background children it left would hold the pipes open forever.
  await killProcessGroup(pid, { graceMs: 0, force: true });
  await killing;
  await closed;
  running.delete(record.id);
  return { exitCode: exit.code ?? -1, signal: exit.signal ?? '', timedOut };
}
