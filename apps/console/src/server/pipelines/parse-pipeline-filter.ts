import type { ListPipelinesRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { limitParam, statesParam } from '../http/list-params.ts';

/**
 * The ListPipelines request of a pipelines-table query string: `state` (names, comma-separated
 * or repeated), `repo`, `cursor`, `limit` (1 to 500; default 50).
 * @throws HttpError 400 naming the parameter at fault
 */
export function parsePipelineFilter(query: URLSearchParams): ListPipelinesRequest {
  return {
    states: statesParam(query, PipelineState, 'PIPELINE_STATE_', 'pipeline') as PipelineState[], repoUrl: query.get('repo')?.trim() ?? '',
    pageSize: limitParam(query), pageToken: query.get('cursor') ?? '',
  };
}
