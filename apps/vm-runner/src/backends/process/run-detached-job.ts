import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecOptions, ExecOutcome } from '../backend.ts';
import type { VmRecord } from '../../vms/vm-record.ts';
import { detachedRunFiles, type DetachedRunFiles } from './detached-run-files.ts';
import { findVmProcessGroups } from './find-vm-process-groups.ts';
import { killProcessGroup } from './kill-process-group.ts';
import { isGroupAlive, processStartTicks } from './process-identity.ts';

/** A detached job in flight: how it ends, and a wake-up for readers whenever new output is indexed. */
export interface DetachedRun {
  done: Promise<ExecOutcome>;
  /** True once `done` settled: every chunk of the job is indexed by then. */
  ended: boolean;
  /** Resolves at the next indexing of output or at the end (a new promise each time). */
  changed(): Promise<void>;
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
 * Every caller reads the chunks from the files at its own pace (the next one only once
 * `options.onOutput` has room), so neither the output nor a slow caller grows memory.
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
  await sendChunks(detachedRunFiles(record.vmDir), options, opened.kind === 'running' ? opened.run : undefined);
  return opened.kind === 'ended' ? opened.outcome : opened.run.done;
}

/** A VM's detached job as a caller finds it: over (its outcome stored) or in flight. */
export type OpenedRun = { kind: 'ended'; outcome: ExecOutcome } | { kind: 'running'; run: DetachedRun };

async function openRun(record: VmRecord, options: ExecOptions, groupOf: (r: VmRecord) => number): Promise<OpenedRun> {
  const files = detachedRunFiles(record.vmDir);
  const outcome = files.exists() ? await files.readResult() : undefined;
  if (outcome) return { kind: 'ended', outcome };
  return { kind: 'running', run: await begin(record, options, files, groupOf) };
}

/** `promise`, or CallLeftError as soon as `signal` aborts; leaves no listener behind. */
function unlessLeft<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  const left = () => new CallLeftError('the caller went away; the job goes on');
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(left());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(left());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}

/**
 * Sends the run's chunks from the index, in order, from the first: a chunk at a time, waiting
 * whenever `onOutput` asks to; then, while the run goes on, each new one as it is indexed.
 * Returns once every chunk of an ended run was sent, or when the VM's folder is gone (Destroy).
 * @throws CallLeftError when the caller went away
 */
async function sendChunks(files: DetachedRunFiles, options: ExecOptions, run: DetachedRun | undefined): Promise<void> {
  const index = files.openIndexReader();
  const signal = options.callSignal;
  try {
    for (;;) {
      const wasEnded = !run || run.ended;
      const changed = run?.changed();
      const chunks = await index.next();
      for (const chunk of chunks) {
        if (signal?.aborted) throw new CallLeftError('the caller went away; the job goes on');
        const wait = options.onOutput(chunk.stream, await files.readChunk(chunk));
        if (wait) await unlessLeft(wait, signal);
      }
      if (chunks.length) continue;
      if (wasEnded) return;
      await unlessLeft(changed!, signal);
    }
  } catch (error) {
    // Destroy removed the folder under us: the output is gone with the VM; the outcome still comes.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
}

async function begin(record: VmRecord, options: ExecOptions, files: DetachedRunFiles, groupOf: (r: VmRecord) => number): Promise<DetachedRun> {
  let tick = Promise.withResolvers<void>();
  const notify = () => {
    const current = tick;
    tick = Promise.withResolvers<void>();
    current.resolve();
  };
  const run: DetachedRun = { done: Promise.resolve({ exitCode: -1, signal: '', timedOut: false }), ended: false, changed: () => tick.promise };
  // The one cutter of this run: indexes new output (without reading it) and wakes the readers.
  const cut = async () => {
    if ((await files.cutNew().catch(() => 0)) > 0) notify();
  };
  let pgid: number;
  let exited: Promise<{ code: number | null; signal: string }>;
  if (files.began()) {
    // Started by an earlier vm-runner: adopt the group if it still runs, else read how it ended.
    await files.restoreOffsets().catch(() => undefined);
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
      // Output is indexed every pollMs while the job runs; its end is seen at once (a short job
      // used to wait out a whole poll interval, 50 ms, before its outcome went back).
      for (;;) {
        await cut();
        if (ended) break;
        await Promise.race([sleep(pollMs), exited]);
      }
      const exit = await exited;
      await killProcessGroup(pgid, { graceMs: 0, force: true }); // background children it left
      await killing;
      await cut();
      const outcome: ExecOutcome = { exitCode: exit.code ?? -1, signal: exit.signal, timedOut };
      await files.writeResult(outcome).catch(() => undefined); // Destroy may have removed the folder
      return outcome;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
  })();
  void run.done.finally(() => {
    run.ended = true;
    notify();
  }).catch(() => undefined);
  return run;
}
