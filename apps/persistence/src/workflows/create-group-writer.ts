/** Options of createGroupWriter. */
export interface GroupWriterOptions<I> {
  /** Items written together at most. */
  maxBatch: number;
  /** Batches in flight at once; an item arriving while they are all busy waits for the next batch. */
  maxInFlight: number;
  /** Items with the same key never share a batch (a later one waits for the next). */
  keyOf: (item: I) => string;
  /**
   * Whether a batch that failed with this error is retried item by item (so a bad item fails
   * alone); false for failures no item caused, e.g. the database being down. @default always
   */
  retryAlone?: (error: unknown) => boolean;
}

/** Submits items to be written in shared batches. */
export interface GroupWriter<I, R> {
  /** @returns the item's own result, or rejects with the item's own error */
  submit(item: I): Promise<R>;
}

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit without a timer: an item is written at once when fewer than
 * `maxInFlight` batches are running; otherwise it queues, and the queue goes out
 * as one batch as soon as a running batch ends. Under no load nothing waits;
 * under load, one statement (one round trip and one commit) serves many callers.
 * When a batch fails as a whole, each of its items is retried alone, so one bad
 * item fails only its own caller.
 */
export function createGroupWriter<I, R>(write: (items: I[]) => Promise<R[]>, options: GroupWriterOptions<I>): GroupWriter<I, R> {
  const queue: Pending<I, R>[] = [];
  let inFlight = 0;

  const runBatch = async (batch: Pending<I, R>[]) => {
    try {
      const results = await write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1 || options.retryAlone?.(error) === false) {
        batch.forEach((p) => p.reject(error));
        return;
      }
      await Promise.all(batch.map(async (p) => {
        try {
          const [result] = await write([p.item]);
          p.resolve(result!);
        } catch (alone) {
          p.reject(alone);
        }
      }));
    }
  };

  const pump = () => {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch: Pending<I, R>[] = [];
      const keys = new Set<string>();
      for (let i = 0; i < queue.length && batch.length < options.maxBatch;) {
        const key = options.keyOf(queue[i]!.item);
        if (keys.has(key)) {
          i++;
          continue;
        }
        keys.add(key);
        batch.push(queue.splice(i, 1)[0]!);
      }
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return {
    submit: (item) =>
      new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      }),
  };
}
