import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { ListJobsRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { limitParam, statesParam } from '../http/list-params.ts';

/**
 * The ListJobs request of a jobs-table query string: `state` (names, comma-separated or
 * repeated), `label`, `repo`, `cursor`, `limit` (1 to 500; default 50).
 * @throws HttpError 400 naming the parameter at fault
 */
export function parseJobFilter(query: URLSearchParams): ListJobsRequest {
  return {
    states: statesParam(query, JobState, 'JOB_STATE_', 'job') as JobState[], runsOn: query.get('label')?.trim() ?? '', repoUrl: query.get('repo')?.trim() ?? '',
    pageSize: limitParam(query), pageToken: query.get('cursor') ?? '',
  };
}
