import type { ServerResponse } from 'node:http';

/** A Server-Sent Events stream towards one browser. */
export interface EventStream {
  /** Sends one event whose data is `value` as JSON; resolves once the socket took it (backpressure). */
  send(event: string, value: unknown): Promise<void>;
  /** Aborted when the browser goes away or the stream is ended. */
  signal: AbortSignal;
  end(): void;
}

/**
 * Starts an SSE answer: `text/event-stream`, no caching, a comment every `heartbeatMs` so
 * proxies and the browser see the stream alive. Events go out as `event: <name>` + one
 * `data:` line of JSON (JSON never holds a raw newline).
 */
export function openEventStream(response: ServerResponse, heartbeatMs = 15_000): EventStream {
  const controller = new AbortController();
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  response.write(': stream open\n\n');
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), heartbeatMs);
  const stop = () => {
    clearInterval(heartbeat);
    controller.abort();
  };
  response.on('close', stop);
  return {
    signal: controller.signal,
    send(event, value) {
      if (controller.signal.aborted) return Promise.resolve();
      const ok = response.write(`event: ${event}\ndata: ${JSON.stringify(value)}\n\n`);
      if (ok) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => (response.off('drain', done), response.off('close', done), resolve());
        response.once('drain', done);
        response.once('close', done);
      });
    },
    end() {
      stop();
      response.end();
    },
  };
}
