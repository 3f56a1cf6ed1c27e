import { useEffect, useState } from 'preact/hooks';

/**
 * Reads `read()` when `deps` change and again after `nextInMs(value)` milliseconds while that
 * returns a number (undefined: read once). A failed read keeps the last value, sets `error` and
 * is tried again after `retryMs`. Leaving the page aborts the read in flight.
 */
export function useRead<T>(read: (signal: AbortSignal) => Promise<T>, deps: unknown[], nextInMs: (value: T) => number | undefined = () => undefined, retryMs = 3000) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const once = async () => {
      try {
        const next = await read(controller.signal);
        setValue(next);
        setError(null);
        const wait = nextInMs(next);
        if (wait !== undefined) timer = setTimeout(once, wait);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e);
        timer = setTimeout(once, retryMs);
      }
    };
    void once();
    return () => (controller.abort(), clearTimeout(timer));
  }, deps);
  return { value, error };
}
