import type { JobStep } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { JobStepKind, JobStepState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { JobStepView } from '../../shared/api-types.ts';
import { enumName } from './enum-name.ts';
import { isoTime } from './iso-time.ts';

/** The console's view of a step of a pipeline job (GetJob and GetPipeline carry the same message). */
export function toStepView(step: JobStep): JobStepView {
  return {
    index: step.index, name: step.name, kind: enumName(JobStepKind, 'JOB_STEP_KIND_', step.kind), state: enumName(JobStepState, 'JOB_STEP_STATE_', step.state),
    exitCode: step.exitCode ?? null, startedAt: isoTime(step.startedAt), finishedAt: isoTime(step.finishedAt), logOffset: step.logOffset, prompt: step.prompt, approvedBy: step.approvedBy,
  };
}
