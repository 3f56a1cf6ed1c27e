import { useEffect, useState } from 'preact/hooks';
import type { ApiErrorBody } from '../../shared/api-types.ts';
import { ApiError } from '../api/create-console-api.ts';

/** Opens a live stream: calls `onValue` for each value, `onError` when the console cannot read for now; resolves when it ends. */
export type OpenLive<T> = (onValue: (value: T) => void, onError: (error: ApiErrorBody) => void, signal: AbortSignal) => Promise<void>;

/**
 * Follows a live stream while `deps` stay the same: `value` is its latest value, `paused` the
 * console's last `error` event (cleared by the next value), `error` a refused stream. A stream
 * that ends (the console restarted) or fails is opened again a second later, except one refused
 * for good (a 4xx answer: unknown id, role, bad filter). `setValue` puts in a value an action
 * answered before the stream sends it.
 */
export function useLive<T>(open: OpenLive<T>, deps: unknown[]) {
  const [value, setValue] = useState<T | null>(null);
  const [paused, setPaused] = useState<ApiErrorBody | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    const follow = async () => {
      while (!controller.signal.aborted) {
        try {
          await open((next) => (setValue(next), setPaused(null), setError(null)), setPaused, controller.signal);
        } catch (e) {
          if (controller.signal.aborted) return;
          setError(e);
          if (e instanceof ApiError && e.status >= 400 && e.status < 500) return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void follow();
    return () => controller.abort();
  }, deps);
  return { value, paused, error, setValue };
}
