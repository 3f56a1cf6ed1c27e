/**
 * Waits `ms`, or less when `signal` aborts first; never rejects. Its abort listener is removed
 * when the wait ends either way: a workflow's or a step attempt's signal lives for the whole
 * run, and a listener per retry or per poll piled up on it (thousands over a long child wait).
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
