import type { CallOptions } from '@jobmesh/grpc-kit';
import type { ListPipelinesRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import type { PipelinesPage, PipelineView } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { openEventStream } from '../http/open-event-stream.ts';
import { pageRoutes } from '../http/page-routes.ts';
import { toPipelineView } from '../views/to-pipeline-view.ts';
import { followPipeline } from './follow-pipeline.ts';
import { parsePipelineFilter } from './parse-pipeline-filter.ts';

async function readPipelinesPage(api: PublicApi, request: ListPipelinesRequest, call: CallOptions): Promise<PipelinesPage> {
  const page = await api.pipelines.listPipelines(request, call);
  return { pipelines: page.pipelines.map(toPipelineView), nextCursor: page.nextPageToken };
}

async function readPipeline(api: PublicApi, id: string, call: CallOptions): Promise<PipelineView> {
  return toPipelineView((await api.pipelines.getPipeline({ id }, call)).pipeline!);
}

/**
 * Reading pipelines: GET /api/pipelines (a page of the table: `state`, `repo`, `cursor`,
 * `limit`), GET /api/pipelines/live (that page as an event stream, `page` whenever it changed,
 * read every `pollMs`: the public API has no all-pipelines watch), GET /api/pipelines/:id (with
 * its jobs and steps) and GET /api/pipelines/:id/live (`pipeline` at once and on every change,
 * from WatchPipeline).
 */
export function pipelineRoutes(api: PublicApi, pollMs: number): Route[] {
  return [
    ...pageRoutes('/api/pipelines', pollMs, (query) => {
      const request = parsePipelineFilter(query);
      return (call) => readPipelinesPage(api, request, call);
    }),
    { method: 'GET', path: '/api/pipelines/:id', handler: ({ params, call }) => readPipeline(api, params.id!, call) },
    {
      method: 'GET', path: '/api/pipelines/:id/live', async handler({ params, call, response }) {
        await api.pipelines.getPipeline({ id: params.id! }, call); // an unknown pipeline is a 404, not an empty stream
        const stream = openEventStream(response);
        await followPipeline(api, params.id!, stream, call, pollMs);
        stream.end();
      },
    },
  ];
}
