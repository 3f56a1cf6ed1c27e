/**
 * Races a promise against a timer, so a hung gRPC call fails the test with a label instead of
 * hanging the run: uvu has no per-test timeout.
 *
 * @param promise - the work to wait for.
 * @param ms - how long to wait, in milliseconds.
 * @param label - names the awaited step in the timeout error.
 * @returns the promise's value, or rejects with `Error('<label>: no result within <ms> ms')`.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${ms} ms`)), ms);
  });
  // Clearing the timer on settle keeps a finished test from holding the process open.
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
