import type { CallOptions } from '@jobmesh/grpc-kit';
import { pollIntoStream } from '../jobs/poll-into-stream.ts';
import type { Route } from './create-router.ts';
import { openEventStream } from './open-event-stream.ts';

/** Reads one page of a table for a query string (parsed once: a bad one throws before any read). */
export type PageReader<T> = (query: URLSearchParams) => (call: CallOptions) => Promise<T>;

/**
 * A table's two routes: GET `path` answers its page for the query string, and GET `path`/live
 * the same page as an event stream (`page` at once and whenever it changed, read every `pollMs`:
 * the public API has no watch of all jobs or all pipelines).
 */
export function pageRoutes<T>(path: string, pollMs: number, reader: PageReader<T>): Route[] {
  return [
    { method: 'GET', path, handler: ({ query, call }) => reader(query)(call) },
    {
      method: 'GET', path: `${path}/live`, async handler({ query, call, response }) {
        const read = reader(query);
        const stream = openEventStream(response);
        await pollIntoStream(stream, 'page', pollMs, () => read({ ...call, signal: stream.signal }));
        stream.end();
      },
    },
  ];
}
