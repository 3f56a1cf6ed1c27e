import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { resourceExhausted } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** Options of the queue gate. */
export interface QueueGateOptions {
  /** Most jobs waiting in QUEUED before SubmitJob refuses new ones; 0 = no limit. */
  maxQueuedJobs: number;
  /** How long one count of the queue is reused, in ms. @default 500 */
  countTtlMs?: number;
  /** Retry hint sent with a refusal, in ms. @default 2000 */
  retryAfterMs?: number;
}

/** Admits or refuses a new submission by the length of the queue. */
export interface QueueGate {
  /** @throws RESOURCE_EXHAUSTED `QUEUE_FULL` with the fact `retry-after-ms` when the queue is full */
  admit(): Promise<void>;
}

/**
 * The SubmitJob queue limit (JOBMESH_MAX_QUEUED_JOBS). The queue length is counted in
 * persistence (so every orchestrator replica sees the same queue) at most once per
 * `countTtlMs`, shared by all submissions arriving meanwhile, plus those admitted since the
 * count: a burst of 1000 callers costs a few CountJobs calls, not 1000, and cannot overshoot.
 */
export function createQueueGate(clients: MeshClients, options: QueueGateOptions): QueueGate {
  const ttlMs = options.countTtlMs ?? 500;
  const retryAfterMs = options.retryAfterMs ?? 2000;
  let counted: { at: number; queued: number } | undefined;
  let refreshing: Promise<void> | undefined;
  let admittedSince = 0;

  // One query in persistence (CountJobs), stopping at the limit: past it the exact length does
  // not matter. Paging through the QUEUED rows cost a List call and a row's worth of bytes per job.
  const countQueued = async () =>
    (await clients.jobs.countJobs({ states: [JobState.JOB_STATE_QUEUED], runsOn: '', limit: Math.min(options.maxQueuedJobs, 1_000_000) })).count;
  // One count for every caller waiting on it; the admitted tally restarts once per count
  // (the load drill found a burst of 200 each restarting it, letting 177 in past a limit of 20).
  const refresh = async () => {
    const queued = await countQueued();
    counted = { at: Date.now(), queued };
    admittedSince = 0;
  };

  return {
    async admit() {
      if (options.maxQueuedJobs <= 0) return;
      if (!counted || Date.now() - counted.at > ttlMs) {
        refreshing ??= refresh().finally(() => (refreshing = undefined));
        await refreshing;
      }
      if (counted!.queued + admittedSince >= options.maxQueuedJobs) {
        throw resourceExhausted('QUEUE_FULL', `${options.maxQueuedJobs} jobs are queued already (JOBMESH_MAX_QUEUED_JOBS); retry in ${retryAfterMs} ms`, {
          facts: { 'retry-after-ms': String(retryAfterMs) },
        });
      }
      admittedSince++;
    },
  };
}
