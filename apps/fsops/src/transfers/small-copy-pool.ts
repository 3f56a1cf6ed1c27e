import { Worker } from 'node:worker_threads';
import { workerSource, type RenameJob, type SmallCopyJob, type WorkerJob, type WorkerOutcome } from './small-copy-worker.ts';

/** Worker threads copying small files with blocking calls. */
export interface SmallCopyPool {
  /** Copies one small file; resolves `undefined` when it is too big (or grew) and the caller must copy it otherwise. */
  copy(job: Omit<SmallCopyJob, 'kind'>): Promise<{ sha256: string; sizeBytes: number } | undefined>;
  /** Renames `from` to `to`. */
  rename(from: string, to: string): Promise<void>;
}

/** Workers of the pool (2 cores here: two keep both busy while one waits on the disk, and leave room for the event loop). */
const workerCount = 2;
/** Most jobs one message carries (a worker takes what is queued, up to this, each time it is free). */
const jobsPerMessage = 32;

interface Pending {
  job: WorkerJob;
  resolve(outcome: WorkerOutcome): void;
  reject(error: unknown): void;
}

let shared: SmallCopyPool | undefined;

/** The process-wide pool, started on first use; its workers never keep the process alive. */
export function smallCopyPool(): SmallCopyPool {
  shared ??= createSmallCopyPool(workerCount);
  return shared;
}

function createSmallCopyPool(size: number): SmallCopyPool {
  const queue: Pending[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Pending[]>();
  const workers = new Set<Worker>();
  const start = () => {
    const worker = new Worker(workerSource, { eval: true });
    workers.add(worker);
    worker.on('message', ({ outcomes }: { outcomes: WorkerOutcome[] }) => {
      const taken = busy.get(worker) ?? [];
      busy.delete(worker);
      taken.forEach((pending, i) => pending.resolve(outcomes[i]!));
      idle.push(worker);
      worker.unref();
      dispatch();
    });
    const lost = (error: unknown) => {
      // A worker that died (it should not) fails its jobs and those queued; the next copy starts a new one.
      for (const pending of [...(busy.get(worker) ?? []), ...queue.splice(0)]) pending.reject(error);
      busy.delete(worker);
      workers.delete(worker);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`small-copy worker exited (${code})`)));
    // Idle workers never keep the process alive (set after the listeners: adding one refs the worker again).
    worker.unref();
    idle.push(worker);
  };
  const dispatch = () => {
    while (queue.length > 0) {
      if (idle.length === 0 && workers.size < size) start();
      const worker = idle.pop();
      if (!worker) return;
      const taken = queue.splice(0, Math.max(1, Math.min(jobsPerMessage, Math.ceil(queue.length / size))));
      busy.set(worker, taken);
      // A busy worker keeps the process alive until its answer arrives.
      worker.ref();
      worker.postMessage({ id: 0, jobs: taken.map((p) => p.job) });
    }
  };
  const run = async (job: WorkerJob) => {
    const outcome = await new Promise<WorkerOutcome>((resolve, reject) => {
      queue.push({ job, resolve, reject });
      dispatch();
    });
    if ('error' in outcome) {
      const { message, ...fields } = outcome.error;
      throw Object.assign(new Error(message), fields);
    }
    return outcome;
  };
  return {
    async copy(job) {
      const outcome = await run({ kind: 'copy', ...job });
      return 'sha256' in outcome ? outcome : undefined;
    },
    async rename(from, to) {
      const job: RenameJob = { kind: 'rename', from, to };
      await run(job);
    },
  };
}
