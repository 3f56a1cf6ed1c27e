import type { ListJobsRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { CallOptions } from '@jobmesh/grpc-kit';
import type { JobsPage, JobView } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import { toJobView } from '../views/to-job-view.ts';
import { queuePositions } from './create-queue-positions.ts';

/** One page of the jobs table, each queued job with its queue position. */
export async function readJobsPage(api: PublicApi, request: ListJobsRequest, call: CallOptions): Promise<JobsPage> {
  const page = await api.jobs.listJobs(request, call);
  const queued = page.jobs.filter((job) => job.state === JobState.JOB_STATE_QUEUED);
  const positions = queued.length ? await queuePositions(api, queued.map((job) => job.runsOn), call) : new Map<string, number>();
  return { jobs: page.jobs.map((job) => toJobView(job, positions.get(job.requestId) ?? null)), nextCursor: page.nextPageToken };
}

/** One job, with its queue position when queued. */
export async function readJob(api: PublicApi, id: string, call: CallOptions): Promise<JobView> {
  const { job } = await api.jobs.getJob({ requestId: id }, call);
  if (job!.state !== JobState.JOB_STATE_QUEUED) return toJobView(job!);
  const positions = await queuePositions(api, [job!.runsOn], call);
  return toJobView(job!, positions.get(job!.requestId) ?? null);
}
