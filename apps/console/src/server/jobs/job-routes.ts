import { terminalJobStates, type JobView } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { openEventStream } from '../http/open-event-stream.ts';
import { pageRoutes } from '../http/page-routes.ts';
import { parseJobFilter } from './parse-job-filter.ts';
import { pollIntoStream } from './poll-into-stream.ts';
import { readJob, readJobsPage } from './read-jobs-page.ts';

/**
 * Reading jobs: GET /api/jobs (a page of the table), GET /api/jobs/live (the same page as an
 * event stream: `page` whenever it changed, read every `pollMs`; the public API has no
 * all-jobs watch), GET /api/jobs/:id and GET /api/jobs/:id/live (`job` at once and on every
 * change: WatchJob wakes the read, a read every `pollMs` catches the rest and the queue position).
 */
export function jobRoutes(api: PublicApi, pollMs: number): Route[] {
  return [
    ...pageRoutes('/api/jobs', pollMs, (query) => {
      const request = parseJobFilter(query);
      return (call) => readJobsPage(api, request, call);
    }),
    { method: 'GET', path: '/api/jobs/:id', handler: ({ params, call }) => readJob(api, params.id!, call) },
    {
      method: 'GET', path: '/api/jobs/:id/live', async handler({ params, call, response }) {
        const requestId = params.id!;
        await api.jobs.getJob({ requestId }, call); // an unknown job is a 404, not an empty stream
        const stream = openEventStream(response);
        const options = { ...call, signal: stream.signal };
        const isDone = (job: JobView) => terminalJobStates.includes(job.state);
        await pollIntoStream(stream, 'job', pollMs, () => readJob(api, requestId, options), {
          isDone,
          onWake: (wake) => void (async () => {
            for await (const _ of api.jobs.watchJob({ requestId, afterSequence: 0 }, options)) wake();
          })().catch(() => undefined),
        });
        stream.end();
      },
    },
  ];
}
