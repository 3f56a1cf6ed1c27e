import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStream } from '../http/open-event-stream.ts';
import { toErrorBody } from '../http/to-error-body.ts';

/** Options of pollIntoStream. */
export interface PollOptions<T> {
  /** Stop once this holds for a value sent (e.g. a job that ended). @default never */
  isDone?: (value: T) => boolean;
  /** Called once with a function that makes the loop read now instead of at the next tick. */
  onWake?: (wake: () => void) => void;
}

/**
 * Reads `read()` every `intervalMs` and sends it as `event` whenever it differs from what was
 * sent last (compared as JSON), until the browser leaves or `isDone(value)` holds. A failed read
 * is sent as an `error` event (the API may be restarting) and tried again at the next tick.
 */
export async function pollIntoStream<T>(stream: EventStream, event: string, intervalMs: number, read: () => Promise<T>, options: PollOptions<T> = {}): Promise<void> {
  let last = '';
  let wake = new AbortController();
  options.onWake?.(() => wake.abort());
  while (!stream.signal.aborted) {
    try {
      const value = await read();
      const text = JSON.stringify(value);
      if (text !== last) {
        last = text;
        await stream.send(event, value);
      }
      if (options.isDone?.(value)) return;
    } catch (error) {
      if (stream.signal.aborted) return;
      await stream.send('error', toErrorBody(error).body);
    }
    if (!wake.signal.aborted) await sleep(intervalMs, undefined, { signal: AbortSignal.any([stream.signal, wake.signal]) }).catch(() => undefined);
    wake = new AbortController();
  }
}
