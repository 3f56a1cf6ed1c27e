/** Runs work for one key at a time; different keys run in parallel. */
export interface KeyLock {
  /** Runs `work` once every earlier work of the same key has settled. */
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/** Creates an in-process lock per key (transfer keys, mirror URLs, workspace keys). */
export function createKeyLock(): KeyLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(work, work);
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      // Forget the key once nothing queues behind this work, so the map does not grow without bound.
      void tail.then(() => { if (tails.get(key) === tail) tails.delete(key); });
      return result;
    },
  };
}
