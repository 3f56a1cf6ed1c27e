/** A push-fed async iterable: the bridge from callbacks (job output) to a server stream. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(item: T): void;
  /** Ends the iteration after the items pushed so far. */
  end(): void;
  /** Ends the iteration with an error after the items pushed so far. */
  fail(error: unknown): void;
}

/** Creates an unbounded queue; the job's output is bounded by what the job writes while we send it. */
export function createAsyncQueue<T>(): AsyncQueue<T> {
  const items: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item) {
      if (done) return;
      items.push(item);
      notify();
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
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length) {
          yield items.shift()!;
          continue;
        }
        if (done) {
          if (failure) throw failure.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
