import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

type JobStateValue = (typeof JobState)[keyof typeof JobState];
const stateLabel = (state: JobStateValue) => Object.entries(JobState).find(([, v]) => v === state)![0].replace('JOB_STATE_', '').toLowerCase();

/**
 * Moves a job from one state to the next, idempotently: a replayed step whose
 * transition already happened (the checkpoint was lost in a crash) finds the
 * job in the target state and succeeds.
 */
export async function moveJob(clients: MeshClients, requestId: string, from: JobStateValue, to: JobStateValue, message: string,
  extra: { exitCode?: number; error?: string } = {}): Promise<void> {
  try {
    await clients.jobs.transitionJob({ requestId, expectedState: from, newState: to, message, exitCode: extra.exitCode, error: extra.error ?? '' });
  } catch (error) {
    if (isMeshError(error, status.FAILED_PRECONDITION, 'STATE_MISMATCH') && error.facts.current_state === stateLabel(to)) return;
    throw error;
  }
}

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);

/**
 * Moves a job from whatever state it is in to its final state; a job already
 * final is left as it is. Retries the compare-and-set if the state moved meanwhile.
 * @param expected the state the job is most likely in (the workflow's last move): tried first
 *   without reading the job, one call instead of two; on a mismatch the job is read
 */
export async function finishJob(clients: MeshClients, requestId: string, to: JobStateValue, message: string,
  extra: { exitCode?: number; error?: string }, expected?: JobStateValue): Promise<void> {
  let state = expected;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (state === undefined) state = (await clients.jobs.getJob({ requestId })).job!.state;
    if (terminal.has(state)) return;
    try {
      await clients.jobs.transitionJob({ requestId, expectedState: state, newState: to, message, exitCode: extra.exitCode, error: extra.error ?? '' });
      return;
    } catch (error) {
      if (!isMeshError(error, status.FAILED_PRECONDITION, 'STATE_MISMATCH')) throw error;
      state = undefined;
    }
  }
}
