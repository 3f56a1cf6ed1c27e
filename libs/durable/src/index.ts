export { createWorkflowRuntime } from './create-workflow-runtime.ts';
export type { StartOptions, WorkflowRuntime, WorkflowRuntimeOptions } from './create-workflow-runtime.ts';
export type { Json, StepOptions, StepRun, WorkflowContext, WorkflowFunction } from './workflow-context.ts';
export type { RetryPolicy } from './retry-policy.ts';
export { LeaseLostError, NondeterminismError, WorkflowCancelledError, WorkflowTimedOutError } from './workflow-errors.ts';
export type { WorkflowStore } from './workflow-store.ts';
export type { ExecutionHooks } from './create-workflow-context.ts';
export { sleepUnlessAborted } from './sleep-unless-aborted.ts';
