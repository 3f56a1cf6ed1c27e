import { MeshError, status, type StatusCode } from '@jobmesh/grpc-kit';

/** The JSON form of an error recorded in a step checkpoint. */
export interface RecordedError {
  code: number;
  reason: string;
  message: string;
}

/** Thrown into a workflow when it was cancelled; steps marked `cleanup` still run. */
export class WorkflowCancelledError extends MeshError {
  constructor(reason: string) {
    super(status.CANCELLED, 'WORKFLOW_CANCELLED', `workflow cancelled: ${reason || 'requested'}`);
    this.name = 'WorkflowCancelledError';
  }
}

/** Thrown into a workflow whose deadline passed; steps marked `cleanup` still run. */
export class WorkflowTimedOutError extends MeshError {
  constructor(deadline: Date) {
    super(status.DEADLINE_EXCEEDED, 'WORKFLOW_TIMED_OUT', `workflow deadline ${deadline.toISOString()} passed`);
    this.name = 'WorkflowTimedOutError';
  }
}

/** The code of a workflow no longer matches its recorded history. */
export class NondeterminismError extends MeshError {
  constructor(message: string) {
    super(status.FAILED_PRECONDITION, 'NONDETERMINISM', message);
    this.name = 'NondeterminismError';
  }
}

/** This runtime lost the workflow's lease; it must stop running it at once. */
export class LeaseLostError extends Error {
  constructor(workflowId: string, cause?: unknown) {
    super(`lease of workflow ${workflowId} lost`, { cause });
    this.name = 'LeaseLostError';
  }
}

/** Unwinds a workflow that suspended itself (a durable sleep or event wait released its lease). */
export class WorkflowSuspended extends Error {
  /** What it waits for, e.g. `2025-01-01T00:00:00.000Z` or `event approval #0`. */
  readonly until: string;
  constructor(until: string) {
    super(`workflow suspended until ${until}`);
    this.until = until;
    this.name = 'WorkflowSuspended';
  }
}

/** The error a step threw (or its recorded copy on replay), with its code and reason. */
export function toRecordedError(error: unknown): RecordedError {
  if (error instanceof MeshError) return { code: error.code, reason: error.reason, message: error.message };
  return { code: status.UNKNOWN, reason: 'STEP_ERROR', message: error instanceof Error ? error.message : String(error) };
}

/** Turns a recorded step error back into the error family. */
export function fromRecordedError(recorded: RecordedError): MeshError {
  return new MeshError(recorded.code as StatusCode, recorded.reason, recorded.message);
}
