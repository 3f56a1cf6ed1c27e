/** A push-fed async iterable with a byte bound: the bridge from callbacks (job output) to a server stream. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  /**
   * Queues an item. @returns undefined while the queue holds less than its bound; else a promise
   * that resolves once the reader took it below half the bound (or went away): the producer
   * stops until then (pauses its pipe or socket, stops reading its file), which carries the
   * reader's pace back to the job.
   */
  push(item: T): Promise<void> | undefined;
  /** Ends the iteration after the items pushed so far. */
  end(): void;
  /** Ends the iteration with an error after the items pushed so far. */
  fail(error: unknown): void;
  /** Bytes queued now (by `sizeOf`). */
  queuedBytes(): number;
}

/** Options of createAsyncQueue. */
export interface AsyncQueueOptions<T> {
  /** Bytes held before push() asks the producer to wait; one item more may go past it. */
  maxBytes: number;
  /** Size of an item in bytes. */
  sizeOf(item: T): number;
}

/**
 * Creates a queue bounded by bytes. Once its reader stops (the iteration returns: the client
 * went away), waiting producers are released and later items are dropped, so nothing waits on
 * a reader that is gone and nothing piles up behind it.
 */
export function createAsyncQueue<T>(options: AsyncQueueOptions<T>): AsyncQueue<T> {
  const items: T[] = [];
  let bytes = 0;
  let done = false;
  let readerGone = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let room: { promise: Promise<void>; resolve: () => void } | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const release = () => {
    room?.resolve();
    room = undefined;
  };
  return {
    push(item) {
      if (done || readerGone) return undefined;
      items.push(item);
      bytes += options.sizeOf(item);
      notify();
      if (bytes < options.maxBytes) return undefined;
      if (!room) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        room = { promise, resolve };
      }
      return room.promise;
    },
    end() {
      done = true;
      notify();
    },
    fail(error) {
      failure = { error };
      done = true;
      notify();
    },
    queuedBytes: () => bytes,
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          if (items.length) {
            const item = items.shift()!;
            bytes -= options.sizeOf(item);
            if (bytes <= options.maxBytes / 2) release();
            yield item;
            continue;
          }
          if (done) {
            if (failure) throw failure.error;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        // The reader is gone (or done): free every producer and drop what is left.
        readerGone = true;
        items.length = 0;
        bytes = 0;
        release();
      }
    },
  };
}
