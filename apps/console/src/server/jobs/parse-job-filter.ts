import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { ListJobsRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { HttpError } from '../http/to-error-body.ts';
import { enumValue } from '../views/enum-name.ts';

/**
 * The ListJobs request of a jobs-table query string: `state` (names, comma-separated or
 * repeated), `label`, `repo`, `cursor`, `limit` (1 to 500; default 50).
 * @throws HttpError 400 naming the parameter at fault
 */
export function parseJobFilter(query: URLSearchParams): ListJobsRequest {
  const states = query.getAll('state').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean).map((name) => {
    const value = enumValue(JobState, 'JOB_STATE_', name);
    if (!value) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', `state: unknown job state ${JSON.stringify(name)}`, 'state');
    return value as JobState;
  });
  const limit = Number(query.get('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'limit: must be 1 to 500', 'limit');
  return { states, runsOn: query.get('label')?.trim() ?? '', repoUrl: query.get('repo')?.trim() ?? '', pageSize: limit, pageToken: query.get('cursor') ?? '' };
}
