import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);

/**
 * Polls `getJob` every 100 ms until the job is in a terminal state; a failed read (a service
 * being killed and restarted) is retried. @returns the job @throws after `ms`
 */
export function waitForJobEnd<J extends { state: number }>(getJob: (request: { requestId: string }) => Promise<{ job?: J }>, requestId: string, ms = 120_000): Promise<J> {
  return withDeadline((async () => {
    for (;;) {
      const { job } = await getJob({ requestId }).catch(() => ({ job: undefined }));
      if (job && terminal.has(job.state)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), ms, `job ${requestId} ends`);
}
