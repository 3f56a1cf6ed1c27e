import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { openEventStream } from '../http/open-event-stream.ts';
import { HttpError, toErrorBody } from '../http/to-error-body.ts';
import { createLogReader } from './create-log-reader.ts';
import { followLog } from './follow-log.ts';
import { readLogPage } from './read-log-page.ts';

/** Size of a log page the browser gets. @default 256 KiB */
const defaultPageBytes = 256 * 1024;

const offsetParam = (query: URLSearchParams, name: string): number | undefined => {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', `${name}: must be an offset (0 or more)`, name);
  return value;
};

/**
 * A job's log in bounded pages: GET /api/jobs/:id/log (`before`: the page ending just before
 * that offset; without it the tail; `maxBytes` up to 1 MiB) and GET /api/jobs/:id/log/live
 * (`from`: follow from that offset as an event stream). `step` (an index of Job.steps) limits
 * both to that step's output. The raw log is a download (downloads/).
 */
export function logRoutes(api: PublicApi): Route[] {
  return [
    {
      method: 'GET', path: '/api/jobs/:id/log', async handler({ params, query, call }) {
        const maxBytes = Math.min(1024 * 1024, offsetParam(query, 'maxBytes') || defaultPageBytes);
        const before = offsetParam(query, 'before');
        return readLogPage(createLogReader(api, params.id!, call, offsetParam(query, 'step')), before, maxBytes);
      },
    },
    {
      method: 'GET', path: '/api/jobs/:id/log/live', async handler({ params, query, call, response }) {
        const from = offsetParam(query, 'from') ?? 0;
        await api.jobs.getJob({ requestId: params.id! }, call); // an unknown job is a 404, not an empty stream
        const stream = openEventStream(response);
        try {
          await followLog(api, params.id!, from, stream, call, { step: offsetParam(query, 'step') });
        } catch (error) {
          if (!stream.signal.aborted) await stream.send('error', toErrorBody(error).body);
        }
        stream.end();
      },
    },
  ];
}
