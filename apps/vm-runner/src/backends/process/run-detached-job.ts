import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecOptions, ExecOutcome } from '../backend.ts';
import type { VmRecord } from '../../vms/vm-record.ts';
import { detachedRunFiles, type RunChunk } from './detached-run-files.ts';
import { findVmProcessGroups } from './find-vm-process-groups.ts';
import { killProcessGroup } from './kill-process-group.ts';
import { isGroupAlive, processStartTicks } from './process-identity.ts';

/** A detached job in flight: what it sent so far, who listens, how it ends. */
export interface DetachedRun {
  chunks: RunChunk[];
  listeners: Set<(chunk: RunChunk) => void>;
  done: Promise<ExecOutcome>;
}

const pollMs = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown to the one caller that went away while the job goes on. */
export class CallLeftError extends Error {}

/**
 * Exec with rejoin on the process backend: the VM's one job, started at most once. The
 * first call starts it with its output going to files (see {@link detachedRunFiles}); a
 * later call, also from a restarted vm-runner, re-joins it: every chunk sent so far, then
 * the live ones, then the outcome; after the end it gets the stored output and outcome.
 * The call's own signal (`options.callSignal`) only detaches that caller; `options.signal`
 * (Stop, Destroy) and the timeout end the job.
 */
export async function runDetachedJob(record: VmRecord, options: ExecOptions, runs: Map<string, Promise<OpenedRun>>, groupOf: (r: VmRecord) => number): Promise<ExecOutcome> {
  let opening = runs.get(record.id);
  if (!opening) {
    // In the map before the first await: a concurrent caller joins this run instead of starting one.
    const own = openRun(record, options, groupOf);
    opening = own;
    runs.set(record.id, own);
    const forget = () => void (runs.get(record.id) === own && runs.delete(record.id));
    own.then((opened) => (opened.kind === 'ended' ? forget() : void opened.run.done.then(forget, forget)), forget);
  }
  const opened = await opening;
  if (opened.kind === 'ended') {
    for (const chunk of opened.chunks) options.onOutput(chunk.stream, chunk.data);
    return opened.outcome;
  }
  return joinRun(opened.run, options);
}

/** A VM's detached job as a caller finds it: over (stored output and outcome) or in flight. */
export type OpenedRun = { kind: 'ended'; outcome: ExecOutcome; chunks: RunChunk[] } | { kind: 'running'; run: DetachedRun };

async function openRun(record: VmRecord, options: ExecOptions, groupOf: (r: VmRecord) => number): Promise<OpenedRun> {
  const files = detachedRunFiles(record.vmDir);
  const outcome = files.exists() ? await files.readResult() : undefined;
  if (outcome) return { kind: 'ended', outcome, chunks: await files.loadChunks() };
  return { kind: 'running', run: await begin(record, options, files, groupOf) };
}

function joinRun(run: DetachedRun, options: ExecOptions): Promise<ExecOutcome> {
  // Replay and subscribe in one synchronous step, so no chunk falls between them.
  for (const chunk of run.chunks) options.onOutput(chunk.stream, chunk.data);
  const listener = (chunk: RunChunk) => options.onOutput(chunk.stream, chunk.data);
  run.listeners.add(listener);
  const callSignal = options.callSignal;
  const left = new Promise<never>((_, reject) => {
    if (!callSignal) return;
    const onLeave = () => reject(new CallLeftError('the caller went away; the job goes on'));
    if (callSignal.aborted) onLeave();
    else callSignal.addEventListener('abort', onLeave, { once: true });
  });
  left.catch(() => undefined);
  return Promise.race([run.done, left]).finally(() => run.listeners.delete(listener));
}

async function begin(record: VmRecord, options: ExecOptions, files: ReturnType<typeof detachedRunFiles>, groupOf: (r: VmRecord) => number): Promise<DetachedRun> {
  const run: DetachedRun = { chunks: [], listeners: new Set(), done: Promise.resolve({ exitCode: -1, signal: '', timedOut: false }) };
  const emit = (chunks: RunChunk[]) => {
    for (const chunk of chunks) {
      run.chunks.push(chunk);
      for (const listener of run.listeners) listener(chunk);
    }
  };
  let pgid: number;
  let exited: Promise<{ code: number | null; signal: string }>;
  if (files.began()) {
    // Started by an earlier vm-runner: adopt the group if it still runs, else read how it ended.
    run.chunks = await files.loadChunks();
    pgid = groupOf(record) || (findVmProcessGroups(record.id)[0] ?? 0);
    exited = (async () => {
      while (pgid > 0 && isGroupAlive(pgid)) await sleep(pollMs);
      const code = await files.readExitCode();
      return code === undefined ? { code: null, signal: 'SIGKILL' } : { code, signal: '' };
    })();
  } else {
    await mkdir(files.dir, { recursive: true });
    const env = JSON.parse(await readFile(join(record.vmDir, 'env.json'), 'utf8')) as Record<string, string>;
    // A vm-runner killed between making the folder and the wrapper's `began` left it without a job:
    // the job starts now, with fresh output files.
    const [out, err] = [await open(files.path('stdout'), 'w'), await open(files.path('stderr'), 'w')];
    // Files, not pipes: the job must not die of SIGPIPE when its reader (or vm-runner) does.
    // The wrapper marks that it began (before the script can do anything) and records the exit
    // code for a vm-runner that was not there to see it.
    // The wrapper is `sh`, not bash: a BASH_ENV in the job's env must not run before the mark.
    const wrapper = ': > "$3" || exit 125; bash "$1"; code=$?; echo $code > "$2"; exit $code';
    const child = spawn('sh', ['-c', wrapper, 'jobmesh-job', record.seedPath, files.path('exit-code'), files.path('began')], {
      cwd: record.overlayPath,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: record.overlayPath, JOBMESH_VM_ID: record.id, ...env },
      detached: true,
      stdio: ['ignore', out.fd, err.fd],
    });
    exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal: signal ?? '' }));
      child.once('error', () => resolve({ code: 127, signal: '' }));
    });
    await Promise.all([out.close(), err.close()]);
    pgid = child.pid ?? 0;
    if (pgid > 0) await options.onSpawn?.(pgid, processStartTicks(pgid) ?? 0);
    child.unref();
  }

  run.done = (async () => {
    let timedOut = false;
    let killing: Promise<unknown> | undefined;
    const end = () => (killing ??= killProcessGroup(pgid, { graceMs: options.killGraceMs }));
    const timer = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), end()), options.timeoutMs) : undefined;
    const onAbort = () => void end();
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    void exited.then(() => (ended = true));
    try {
      for (;;) {
        emit(await files.readNew().catch(() => []));
        if (ended) break;
        await sleep(pollMs);
      }
      const exit = await exited;
      await killProcessGroup(pgid, { graceMs: 0, force: true }); // background children it left
      await killing;
      emit(await files.readNew().catch(() => []));
      const outcome: ExecOutcome = { exitCode: exit.code ?? -1, signal: exit.signal, timedOut };
      await files.writeResult(outcome).catch(() => undefined); // Destroy may have removed the folder
      return outcome;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
  })();
  return run;
}
