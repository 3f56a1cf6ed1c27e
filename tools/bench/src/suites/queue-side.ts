/** A job queue driven by the bench: jobmesh's workflow queue or graphile-worker. */
export interface QueueSide {
  /**
   * Enqueues `count` no-op jobs from `producers` concurrent producers while the queue's workers
   * run them. @returns jobs enqueued and completed per second (first enqueue to last completion)
   * and each job's enqueue→start latency in ms
   */
  burst(count: number, producers: number): Promise<{ perSec: number; latenciesMs: number[] }>;
  /** Enqueues `count` jobs one at a time, each after the previous completed. @returns each job's enqueue→start latency in ms */
  oneByOne(count: number): Promise<number[]>;
  /** oneByOne with a producer that shares nothing with the workers (as another process would be). */
  oneByOneFromOutside(count: number): Promise<number[]>;
  stop(): Promise<void>;
}

/** Enqueue and start times of jobs numbered by the bench. */
export function createJobClock() {
  const enqueuedAt = new Map<number, number>();
  const startedAt = new Map<number, number>();
  let next = 0;
  return {
    /** A fresh job number, its enqueue time taken now (just before the enqueue call). */
    enqueue(): number {
      const i = next++;
      enqueuedAt.set(i, performance.now());
      return i;
    },
    /** The first line of job `i` ran (a replay keeps the first time). */
    started(i: number): void {
      if (!startedAt.has(i)) startedAt.set(i, performance.now());
    },
    /** Enqueue→start latencies of jobs `from` (inclusive) to `to` (exclusive), forgetting them. @throws Error naming a job that never started */
    latencies(from: number, to: number): number[] {
      const result: number[] = [];
      for (let i = from; i < to; i++) {
        const start = startedAt.get(i);
        if (start === undefined) throw new Error(`job ${i} completed but its start was never seen`);
        result.push(start - enqueuedAt.get(i)!);
        startedAt.delete(i);
        enqueuedAt.delete(i);
      }
      return result;
    },
    get issued(): number {
      return next;
    },
  };
}
