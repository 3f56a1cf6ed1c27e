import type { CallOptions } from '@jobmesh/grpc-kit';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { PublicApi } from '../api/create-public-api.ts';

/** Most queued jobs of one label read to place a job in its queue; past it positions are unknown. @default 5000 */
const maxCounted = 5000;

/**
 * Queue positions of queued jobs: the scheduler starts a label's queued jobs oldest first, so a
 * job's position is 1 + the number of queued jobs of its label created before it. Reads every
 * queued job of each label asked for (ListJobs, newest first, pages of 500, up to 5000).
 * @returns position by job id; a job missing from the map is not queued or past the cap
 */
export async function queuePositions(api: PublicApi, labels: Iterable<string>, call: CallOptions): Promise<Map<string, number>> {
  const positions = new Map<string, number>();
  await Promise.all([...new Set(labels)].map(async (label) => {
    const ids: string[] = [];
    let pageToken = '';
    do {
      const page = await api.jobs.listJobs({ states: [JobState.JOB_STATE_QUEUED], runsOn: label, repoUrl: '', pageSize: 500, pageToken }, call);
      ids.push(...page.jobs.map((job) => job.requestId));
      pageToken = page.nextPageToken;
    } while (pageToken && ids.length < maxCounted);
    if (pageToken) return;
    ids.forEach((id, index) => positions.set(id, ids.length - index));
  }));
  return positions;
}
