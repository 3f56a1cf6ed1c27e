import type { Operation } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import { StepStatus, WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { OperationView, StepView } from '../../shared/api-types.ts';
import { enumName } from './enum-name.ts';
import { isoTime } from './iso-time.ts';

/** The console's view of an operation (a durable workflow) with its steps, by step number. */
export function toOperationView(operation: Operation): OperationView {
  return {
    id: operation.id,
    name: operation.name,
    status: enumName(WorkflowStatus, 'WORKFLOW_STATUS_', operation.status) as OperationView['status'],
    jobId: operation.jobRequestId,
    parentId: operation.parentId,
    error: operation.error,
    createdAt: isoTime(operation.createdAt),
    finishedAt: isoTime(operation.finishedAt),
    steps: [...operation.steps].sort((a, b) => a.stepNumber - b.stepNumber).map((step): StepView => ({
      number: step.stepNumber,
      name: step.name,
      status: enumName(StepStatus, 'STEP_STATUS_', step.status) as StepView['status'],
      attempts: step.attempts,
      output: step.outputJson,
      error: step.errorJson,
      startedAt: isoTime(step.startedAt),
      finishedAt: isoTime(step.finishedAt),
    })),
  };
}
