import {
  ArtifactWhen,
  FsJobKind,
  FsJobState,
  JobState,
  LogStream,
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

/** Job states no transition leaves. */
export const terminalJobStates = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
