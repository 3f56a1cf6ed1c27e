/** Bytes and files done of a transfer, out of the totals. */
export interface Progress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** The latest progress of one piece of work, followed by one reader. */
export interface ProgressFeed {
  publish(progress: Progress): void;
  /**
   * Yields the latest progress whenever it changed since the last one read,
   * until `done` settles (then the last unread value, if any). A slow reader
   * skips intermediate values instead of queueing them.
   */
  follow(done: Promise<unknown>): AsyncGenerator<Progress>;
}

/** Creates a feed. */
export function createProgressFeed(): ProgressFeed {
  let latest: Progress | undefined;
  let version = 0;
  let notify: (() => void) | undefined;
  const wake = () => {
    const resolve = notify;
    notify = undefined;
    resolve?.();
  };
  return {
    publish(progress) {
      latest = { ...progress };
      version++;
      wake();
    },
    async *follow(done) {
      let finished = false;
      done.then(() => ((finished = true), wake()), () => ((finished = true), wake()));
      for (let seen = 0; ;) {
        if (version !== seen && latest) {
          seen = version;
          yield latest;
          continue;
        }
        if (finished) return;
        await new Promise<void>((resolve) => (notify = resolve));
      }
    },
  };
}
