import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';

/** Options of createRecordBuffer, with defaults. */
export interface RecordBufferOptions<T> {
  /** Sends a batch, in order; resolves once persistence stored it. */
  send: (batch: T[]) => Promise<void>;
  logger: Logger;
  /** Records held at most; past it the oldest is dropped, logged and counted. @default 10000 */
  maxBuffered?: number;
  /** Records per send. @default 500 */
  maxBatch?: number;
  /** First retry wait, doubled per failure. @default 200 */
  initialBackoffMs?: number;
  /** Longest retry wait. @default 5000 */
  maxBackoffMs?: number;
  /** Called when sending starts failing (true) and when it recovers (false). */
  onDegradedChange?: (degraded: boolean) => void;
  /** Describes a record in logs. @default JSON */
  describe?: (record: T) => string;
}

/** Counters of a buffer. */
export interface RecordBufferStats {
  buffered: number;
  sent: number;
  /** Records dropped because the buffer was full or persistence refused them for good. */
  dropped: number;
  degraded: boolean;
}

/** A bounded FIFO of records, sent in batches by one background loop. */
export interface RecordBuffer<T> {
  /** Queues a record; never blocks and never throws. */
  add(record: T): void;
  stats(): RecordBufferStats;
  /** Waits until everything queued so far was sent, or `timeoutMs` passed. @returns true when empty */
  flush(timeoutMs: number): Promise<boolean>;
  /** Stops the loop (after a flush attempt of up to `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
}

/** Errors a later retry cannot fix: the record is dropped and logged. */
const permanent = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.FAILED_PRECONDITION, status.OUT_OF_RANGE, status.PERMISSION_DENIED, status.UNAUTHENTICATED]);

/**
 * Creates the buffer. Records go out in the order they came, in batches; a
 * failed send is retried with backoff (the buffer is degraded meanwhile) and
 * the work producing records goes on. A record is never dropped silently:
 * overflow and permanent refusals are logged with the record and counted.
 */
export function createRecordBuffer<T>(options: RecordBufferOptions<T>): RecordBuffer<T> {
  const maxBuffered = options.maxBuffered ?? 10_000;
  const maxBatch = options.maxBatch ?? 500;
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const describe = options.describe ?? ((record: T) => JSON.stringify(record));
  const queue: T[] = [];
  const stats = { sent: 0, dropped: 0, degraded: false };
  let wake: (() => void) | undefined;
  let closed = false;
  let backoffMs = initialBackoffMs;

  const setDegraded = (degraded: boolean) => {
    if (stats.degraded === degraded) return;
    stats.degraded = degraded;
    options.logger[degraded ? 'warn' : 'info'](degraded ? 'persistence unreachable; buffering records' : 'persistence reachable again', { buffered: queue.length });
    options.onDegradedChange?.(degraded);
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => (clearTimeout(timer), resolve());
  });

  const loop = (async () => {
    while (!closed || queue.length) {
      if (queue.length === 0) {
        if (closed) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = queue.slice(0, maxBatch);
      try {
        await options.send(batch);
        queue.splice(0, batch.length);
        stats.sent += batch.length;
        backoffMs = initialBackoffMs;
        setDegraded(false);
      } catch (error) {
        if (isMeshError(error) && permanent.has(error.code)) {
          // One bad record must not block the rest: go one by one until it is found and dropped.
          await sendAlone(queue[0]!);
          continue;
        }
        setDegraded(true);
        if (closed) break;
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
      }
    }
  })();

  // Sends the head record alone; on a permanent refusal drops it, else leaves it for the loop.
  async function sendAlone(record: T): Promise<void> {
    try {
      await options.send([record]);
      queue.splice(0, 1);
      stats.sent++;
    } catch (error) {
      if (isMeshError(error) && permanent.has(error.code)) {
        queue.splice(0, 1);
        stats.dropped++;
        options.logger.error('persistence refused a record; dropped', { record: describe(record), reason: error.reason, error: error.message });
      }
    }
  }

  return {
    add(record) {
      if (closed) {
        stats.dropped++;
        options.logger.error('record added after close; dropped', { record: describe(record) });
        return;
      }
      if (queue.length >= maxBuffered) {
        const [oldest] = queue.splice(0, 1);
        stats.dropped++;
        options.logger.error('record buffer full; dropped the oldest record', { record: describe(oldest!), maxBuffered });
      }
      queue.push(record);
      wake?.();
    },
    stats: () => ({ buffered: queue.length, ...stats }),
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return queue.length === 0;
    },
    async close(timeoutMs = 5000) {
      await this.flush(timeoutMs);
      closed = true;
      wake?.();
      if (queue.length) {
        stats.dropped += queue.length;
        options.logger.error('closing with unsent records; dropped', { count: queue.length, records: queue.slice(0, 20).map(describe) });
        queue.length = 0;
      }
      await loop;
    },
  };
}
