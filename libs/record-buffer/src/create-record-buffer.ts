import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createRecordJournal } from './create-record-journal.ts';

/** Options of createRecordBuffer, with defaults. */
export interface RecordBufferOptions<T> {
  /** Sends a batch, in order; resolves once persistence stored it. */
  send: (batch: T[]) => Promise<void>;
  logger: Logger;
  /**
   * Folder of the buffer's journal, under the service's data dir: every record is written there
   * before add() returns and stays until persistence stored it, so records survive a restart
   * of the service (the next one sends them first) and an outage of any length.
   */
  journalDir: string;
  /** A record as one line of text (no newline). */
  encode: (record: T) => string;
  /** The record of a line `encode` wrote. */
  decode: (line: string) => T;
  /** Records held in memory; the rest wait in the journal only and are read back in order. @default 10000 */
  maxBuffered?: number;
  /** Largest journal, in bytes; past it a new record is dropped, logged and counted. @default 1 GiB */
  maxJournalBytes?: number;
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
  /** Records not yet stored by persistence (in memory and in the journal only). */
  buffered: number;
  sent: number;
  /** Records dropped: refused for good by persistence, unreadable in the journal, or the journal full. Each is logged. */
  dropped: number;
  degraded: boolean;
}

/** A FIFO of records backed by a journal file, sent in batches by one background loop. */
export interface RecordBuffer<T> {
  /** Journals and queues a record; never waits on persistence and never throws. */
  add(record: T): void;
  stats(): RecordBufferStats;
  /** Waits until everything queued so far was sent, or `timeoutMs` passed. @returns true when empty */
  flush(timeoutMs: number): Promise<boolean>;
  /** Stops the loop after a flush attempt of up to `timeoutMs`; what is left stays in the journal for the next start. */
  close(timeoutMs?: number): Promise<void>;
}

/** Errors a later retry cannot fix: the record is dropped and logged. */
const permanent = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.FAILED_PRECONDITION, status.OUT_OF_RANGE, status.PERMISSION_DENIED, status.UNAUTHENTICATED]);

/** A record in memory with the bytes of its journal line. */
interface Held<T> { record: T; bytes: number }

/**
 * Creates the buffer over its journal (records a previous process left unsent go out first).
 * Records go out in the order they came, in batches; a failed send is retried with backoff (the
 * buffer is degraded meanwhile) and the work producing records goes on. Nothing is dropped
 * while the journal has room: past `maxBuffered` records wait on disk, not in memory. A record
 * persistence refuses for good, one the journal cannot read back, or one that finds the journal
 * full is dropped, logged with the record and counted.
 */
export function createRecordBuffer<T>(options: RecordBufferOptions<T>): RecordBuffer<T> {
  const maxBuffered = options.maxBuffered ?? 10_000;
  const maxJournalBytes = options.maxJournalBytes ?? 1024 ** 3;
  const maxBatch = options.maxBatch ?? 500;
  const initialBackoffMs = options.initialBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const describe = options.describe ?? ((record: T) => JSON.stringify(record));
  const journal = createRecordJournal(options.journalDir);
  // The journal from its acked offset: `queue` holds the first records (up to maxBuffered), up to
  // `memEnd`; `onDiskOnly` more follow there and are read back as the queue empties.
  const queue: Held<T>[] = [];
  let memEnd = journal.ackedOffset();
  let onDiskOnly = journal.countLines(memEnd);
  const stats = { sent: 0, dropped: 0, degraded: false };
  let wake: (() => void) | undefined;
  let closed = false;
  let backoffMs = initialBackoffMs;

  const drop = (message: string, fields: Record<string, unknown>) => {
    stats.dropped++;
    options.logger.error(message, fields);
  };
  /** Moves records from the journal into memory, in order. */
  const refill = () => {
    if (onDiskOnly === 0 || queue.length >= maxBuffered / 2) return;
    const { lines, next } = journal.readLines(memEnd, maxBuffered - queue.length);
    let unreadable = 0;
    for (const line of lines) {
      try {
        queue.push({ record: options.decode(line.text), bytes: line.bytes });
      } catch (error) {
        // Delivered in the sense that it can never be: acked with the records around it.
        if (queue.length === 0) journal.ack(line.bytes);
        else queue.at(-1)!.bytes += line.bytes;
        unreadable++;
        drop('unreadable record in the record journal; dropped', { line: line.text.slice(0, 500), error });
      }
    }
    memEnd = next;
    onDiskOnly = Math.max(0, onDiskOnly - lines.length);
    if (unreadable && queue.length === 0) refill();
  };
  /** Persistence stored the first `count` records of the queue. */
  const delivered = (count: number) => {
    const taken = queue.splice(0, count);
    journal.ack(taken.reduce((sum, held) => sum + held.bytes, 0));
    if (queue.length === 0 && onDiskOnly === 0 && journal.resetIfDrained()) memEnd = 0;
    refill();
  };
  refill();
  if (queue.length) options.logger.info('records left unsent by the previous run will go out first', { count: queue.length + onDiskOnly, journal: journal.dir });

  const setDegraded = (degraded: boolean) => {
    if (stats.degraded === degraded) return;
    stats.degraded = degraded;
    options.logger[degraded ? 'warn' : 'info'](degraded ? 'persistence unreachable; buffering records' : 'persistence reachable again', { buffered: queue.length + onDiskOnly });
    options.onDegradedChange?.(degraded);
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => (clearTimeout(timer), resolve());
  });

  const loop = (async () => {
    while (!closed) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = queue.slice(0, maxBatch).map((held) => held.record);
      try {
        await options.send(batch);
        delivered(batch.length);
        stats.sent += batch.length;
        backoffMs = initialBackoffMs;
        setDegraded(false);
      } catch (error) {
        if (isMeshError(error) && permanent.has(error.code)) {
          // One bad record must not block the rest: go one by one until it is found and dropped.
          await sendAlone(queue[0]!.record);
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
      delivered(1);
      stats.sent++;
    } catch (error) {
      if (isMeshError(error) && permanent.has(error.code)) {
        delivered(1);
        drop('persistence refused a record; dropped', { record: describe(record), reason: error.reason, error: error.message });
      }
    }
  }

  return {
    add(record) {
      if (closed) return drop('record added after close; dropped', { record: describe(record) });
      if (journal.size() >= maxJournalBytes) return drop('record journal full; dropped the new record', { record: describe(record), maxJournalBytes, journal: journal.dir });
      let bytes: number;
      try {
        bytes = journal.append(options.encode(record));
      } catch (error) {
        return drop('record journal not writable; dropped', { record: describe(record), journal: journal.dir, error });
      }
      // In memory only when nothing older waits on disk, so the order stays the journal's.
      if (onDiskOnly === 0 && queue.length < maxBuffered) {
        queue.push({ record, bytes });
        memEnd += bytes;
      } else {
        onDiskOnly++;
      }
      wake?.();
    },
    stats: () => ({ buffered: queue.length + onDiskOnly, ...stats }),
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length + onDiskOnly && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return queue.length + onDiskOnly === 0;
    },
    async close(timeoutMs = 5000) {
      await this.flush(timeoutMs);
      closed = true;
      wake?.();
      await loop;
      const left = queue.length + onDiskOnly;
      if (left) options.logger.warn('closing with unsent records; they stay in the journal for the next start', { count: left, journal: journal.dir });
      journal.close();
    },
  };
}
