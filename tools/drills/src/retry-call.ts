const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries a call while a service is down (a drill kills them on purpose): any error is retried
 * every `intervalMs` until `timeoutMs` has passed, then the last error is thrown. Only for
 * calls that are idempotent (SubmitJob with a request id, reads, CancelJob).
 */
export async function retryCall<T>(call: () => Promise<T>, options: { timeoutMs: number; intervalMs?: number; retryIf?: (error: unknown) => boolean }): Promise<T> {
  const until = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() >= until || (options.retryIf && !options.retryIf(error))) throw error;
      await sleep(options.intervalMs ?? 250);
    }
  }
}
