import {
  ArtifactWhen,
  FsJobKind,
  FsJobState,
  JobState,
  JobStepKind,
  JobStepState,
  LogStream,
  PipelineJobState,
  PipelineState,
  StepStatus,
  TransferMode,
  VmBackend,
  VmState,
  WorkflowStatus,
} from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createEnumCodec } from './create-enum-codec.ts';

/** Proto ⇄ Postgres codecs of every enum in the schema. */
export const jobStates = createEnumCodec(JobState, 'JOB_STATE_');
export const vmStates = createEnumCodec(VmState, 'VM_STATE_');
export const vmBackends = createEnumCodec(VmBackend, 'VM_BACKEND_');
export const transferModes = createEnumCodec(TransferMode, 'TRANSFER_MODE_');
export const fsJobKinds = createEnumCodec(FsJobKind, 'FS_JOB_KIND_');
export const fsJobStates = createEnumCodec(FsJobState, 'FS_JOB_STATE_');
export const workflowStatuses = createEnumCodec(WorkflowStatus, 'WORKFLOW_STATUS_');
export const stepStatuses = createEnumCodec(StepStatus, 'STEP_STATUS_');
export const logStreams = createEnumCodec(LogStream, 'LOG_STREAM_');
export const artifactWhens = createEnumCodec(ArtifactWhen, 'ARTIFACT_WHEN_');
export const pipelineStates = createEnumCodec(PipelineState, 'PIPELINE_STATE_');
export const pipelineJobStates = createEnumCodec(PipelineJobState, 'PIPELINE_JOB_STATE_');
export const jobStepKinds = createEnumCodec(JobStepKind, 'JOB_STEP_KIND_');
export const jobStepStates = createEnumCodec(JobStepState, 'JOB_STEP_STATE_');

/** Job states no transition leaves. */
export const terminalJobStates = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** Pipeline states an attempt ends in (StartPipelineAttempt leaves them for a new attempt). */
export const terminalPipelineStates = new Set(['succeeded', 'failed', 'cancelled']);
