/** Options of createGroupWriter. */
export interface GroupWriterOptions<I> {
  /** Items written together at most. */
  maxBatch: number;
  /** Batches in flight at once; an item arriving while they are all busy waits for the next batch. */
  maxInFlight: number;
  /** Items with the same key never share a batch (a later one waits for the next). */
  keyOf: (item: I) => string;
  /** Size of an item (bytes it sends, say); a batch stays within `maxBatchSize` unless one item alone is larger. @default 1 per item */
  sizeOf?: (item: I) => number;
  /** Largest total `sizeOf` of a batch. @default unlimited */
  maxBatchSize?: number;
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
 * When a batch fails as a whole, each of its items is retried alone (one after the
 * other), so one bad item fails only its own caller.
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
      // One at a time: a burst of single writes would compete with the next batches for the pool.
      for (const p of batch) {
        try {
          const [result] = await write([p.item]);
          p.resolve(result!);
        } catch (alone) {
          p.reject(alone);
        }
      }
    }
  };

  const pump = () => {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch: Pending<I, R>[] = [];
      const keys = new Set<string>();
      let size = 0;
      for (let i = 0; i < queue.length && batch.length < options.maxBatch;) {
        const item = queue[i]!.item;
        const key = options.keyOf(item);
        const itemSize = options.sizeOf?.(item) ?? 1;
        if (keys.has(key) || (batch.length > 0 && size + itemSize > (options.maxBatchSize ?? Infinity))) {
          i++;
          continue;
        }
        keys.add(key);
        size += itemSize;
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
