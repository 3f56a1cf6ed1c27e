import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { toProtoJobStep, type JobStepRow } from '../jobs/job-step-row.ts';
import type { PipelineJobStepsRow } from './pipeline-row.ts';

type PlannedStepRow = PipelineJobStepsRow['steps'][number];

/** A planned step not reached: PENDING, nothing recorded. */
function pendingStep(planned: PlannedStepRow): JobStep {
  return {
    ...toProtoJobStep({
      index: planned.index, name: planned.name, kind: planned.kind, state: 'pending', exit_code: null, started_at: null,
      finished_at: null, start_seq: null, start_offset: null, end_seq: null, end_offset: null,
      err_start_seq: null, err_start_offset: null, err_end_seq: null, err_end_offset: null,
    }),
    prompt: planned.prompt,
  };
}

/**
 * A block step: SUCCEEDED once approved (by whom, when), RUNNING while its job is BLOCKED (since
 * the job became blocked), else PENDING. An approval given before the job waited has no start.
 */
export function toBlockStep(planned: PlannedStepRow, job: PipelineJobStepsRow): JobStep {
  const step = pendingStep(planned);
  const approval = job.approvals[String(planned.index)];
  const waitedSince = job.blocked_at ?? undefined;
  if (approval) {
    const startedAt = waitedSince && waitedSince <= approval.at ? waitedSince : undefined;
    return { ...step, state: JobStepState.JOB_STEP_STATE_SUCCEEDED, approvedBy: approval.by, startedAt, finishedAt: approval.at };
  }
  if (job.state === 'blocked') return { ...step, state: JobStepState.JOB_STEP_STATE_RUNNING, startedAt: waitedSince };
  return step;
}

/**
 * The steps of a pipeline job: its plan's, block steps from its approvals, run steps from the
 * job_steps rows of its current job (by index; PENDING where its run recorded none).
 */
export function mergeJobSteps(job: PipelineJobStepsRow, runSteps: readonly JobStepRow[]): JobStep[] {
  const recorded = new Map(runSteps.map((row) => [row.index, row]));
  return job.steps.map((planned) => {
    if (planned.kind === 'block') return toBlockStep(planned, job);
    const row = recorded.get(planned.index);
    return row ? { ...toProtoJobStep({ ...row, name: planned.name, kind: planned.kind }), prompt: planned.prompt } : pendingStep(planned);
  });
}
