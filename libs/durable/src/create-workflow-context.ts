import { randomUUID } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Workflow, WorkflowStep } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { StepStatus, WorkflowStatus, workflowStatusToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { invalidArgument, isMeshError, MeshError, status } from '@jobmesh/grpc-kit';
import { childWorkflowId } from './child-workflow-id.ts';
import { runStepAttempts } from './run-step-attempts.ts';
import { sleepUnlessAborted } from './sleep-unless-aborted.ts';
import { transientCodes } from './transient-codes.ts';
import type { Json, StepOptions, WorkflowContext } from './workflow-context.ts';
import {
  fromRecordedError, LeaseLostError, NondeterminismError, toRecordedError, WorkflowSuspended, WorkflowTimedOutError, type RecordedError,
} from './workflow-errors.ts';
import type { WorkflowStore } from './workflow-store.ts';

const tracer = trace.getTracer('jobmesh.durable');

export interface ExecutionHooks {
  /** Called after a step ran and before its checkpoint is written: crash drills kill the process here. */
  beforeCheckpoint?: (stepName: string) => void;
  /** Called after a step's checkpoint was written. */
  afterCheckpoint?: (stepName: string) => void;
}

/** The signals an execution runs under. */
export interface ExecutionSignals {
  /** Aborts on cancellation, deadline or lease loss: ordinary steps stop. */
  workflow: AbortSignal;
  /** Aborts only on lease loss: clean-up steps stop. */
  lease: AbortSignal;
  /** Marks the lease lost (a refused checkpoint). */
  loseLease(error: LeaseLostError): void;
  /** Marks the lease lost when it ran out unrenewed (a late timer may not have done so yet). */
  checkLease?(): void;
}

const terminal = new Set<number>([WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, WorkflowStatus.WORKFLOW_STATUS_FAILED, WorkflowStatus.WORKFLOW_STATUS_CANCELLED, WorkflowStatus.WORKFLOW_STATUS_TIMED_OUT]);
/** Step names are at most 200 characters: an event name leaves room for this prefix. */
const eventStepPrefix = 'durable.event:';

/**
 * Builds the context of one execution: step numbers count from 0 in call
 * order; a recorded step replays, a new one runs and is checkpointed with the
 * claim's fencing token before the workflow goes on.
 */
export function createWorkflowContext(workflow: Workflow, recorded: WorkflowStep[], store: WorkflowStore, signals: ExecutionSignals, hooks: ExecutionHooks = {}, stepsInFlight = new Set<Promise<unknown>>()): WorkflowContext {
  const history = new Map(recorded.map((s) => [s.stepNumber, s]));
  let next = 0;
  // Calls of waitForEvent per event name so far in this execution (replayed ones included).
  const eventWaits = new Map<string, number>();
  // Set once the execution gave its lease back (sleep, waitForEvent): every later step rethrows it
  // without running, so a `finally` clean-up step does not run at each suspension.
  let suspended: WorkflowSuspended | undefined;

  const checkpoint = async (step: WorkflowStep): Promise<WorkflowStep> => {
    try {
      return (await store.recordWorkflowStep({ workflowId: workflow.id, fencingToken: workflow.fencingToken, step })).step!;
    } catch (error) {
      if (isMeshError(error, status.FAILED_PRECONDITION, 'NONDETERMINISM')) throw new NondeterminismError(error.message);
      // A refused or impossible checkpoint ends this execution: another claim will replay it.
      const lost = new LeaseLostError(workflow.id, error);
      signals.loseLease(lost);
      throw lost;
    }
  };

  const replay = (step: WorkflowStep) => {
    if (step.status === StepStatus.STEP_STATUS_SUCCEEDED) return step.outputJson ? JSON.parse(step.outputJson) : undefined;
    throw fromRecordedError(JSON.parse(step.errorJson) as RecordedError);
  };

  /** Runs (or replays) the step at `stepNumber`, taken from `next` when the workflow called it. */
  const runStep = async <T extends Json | void>(stepNumber: number, name: string, fn: (run: { key: string; attempt: number; signal: AbortSignal }) => Promise<T>, options: StepOptions = {}): Promise<T> => {
    if (suspended) throw suspended;
    const past = history.get(stepNumber);
    if (past) {
      if (past.name !== name) {
        throw new NondeterminismError(`step ${stepNumber} of workflow ${workflow.id} (${workflow.name}) was recorded as ${past.name}, but the code now runs ${name}`);
      }
      return replay(past) as T;
    }
    signals.checkLease?.();
    const outer = options.cleanup ? signals.lease : signals.workflow;
    if (outer.aborted) throw outer.reason;
    const startedAt = new Date();
    const outcome = await tracer.startActiveSpan(`step ${name}`, { attributes: { 'jobmesh.step.number': stepNumber } }, async (span) => {
      try {
        // An aborted attempt is given up at once, but its function may still be running: it stays
        // in `stepsInFlight` until it settles, so an abandoned execution can wait for it.
        const tracked = (run: { key: string; attempt: number; signal: AbortSignal }) => {
          const running = fn(run);
          const settled = running.then(() => undefined, () => undefined);
          stepsInFlight.add(settled);
          void settled.then(() => stepsInFlight.delete(settled));
          return running;
        };
        const result = await runStepAttempts(`${workflow.id}:${stepNumber}`, tracked, options, outer);
        span.setAttribute('jobmesh.step.attempts', result.attempts);
        if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: String((result.error as Error)?.message ?? result.error) });
        return result;
      } finally {
        span.end();
      }
    });
    // Interrupted by cancellation or lease loss: not a result of the step, so nothing is recorded.
    if (!outcome.ok && outer.aborted) throw outer.reason;
    hooks.beforeCheckpoint?.(name);
    const stored = await checkpoint({
      stepNumber,
      name,
      status: outcome.ok ? StepStatus.STEP_STATUS_SUCCEEDED : StepStatus.STEP_STATUS_FAILED,
      outputJson: outcome.ok ? JSON.stringify(outcome.value ?? null) : '',
      errorJson: outcome.ok ? '' : JSON.stringify(toRecordedError(outcome.error)),
      attempts: outcome.attempts,
      startedAt,
      finishedAt: new Date(),
    });
    hooks.afterCheckpoint?.(name);
    return replay(stored) as T;
  };
  const step: WorkflowContext['step'] = (name, fn, options) => runStep(next++, name, fn, options);

  /** A persistence call outside a step: a transient failure abandons the execution (another claim replays it). */
  const call = async <T>(send: () => Promise<T>, transientOnly: boolean): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      if (transientOnly && !transientCodes.some((code) => isMeshError(error, code))) throw error;
      const lost = new LeaseLostError(workflow.id, error);
      signals.loseLease(lost);
      throw lost;
    }
  };

  /** Gives the lease back until `resumeAt` or the event, and unwinds the workflow. */
  const suspend = async (until: string, resumeAt: Date | undefined, wait?: { name: string; index: number }): Promise<never> => {
    // Set before the release: a wait running beside this one must not release the lease again.
    if (suspended) throw suspended;
    suspended = new WorkflowSuspended(until);
    await call(() => store.releaseWorkflow({
      id: workflow.id, fencingToken: workflow.fencingToken, resumeAt, waitEventName: wait?.name ?? '', waitEventIndex: wait?.index ?? 0,
    }), false);
    throw suspended;
  };

  return {
    workflowId: workflow.id,
    name: workflow.name,
    signal: signals.workflow,
    step,
    now: async () => new Date(await step('durable.now', async () => new Date().toISOString())),
    uuid: () => step('durable.uuid', async () => randomUUID()),
    async sleep(ms) {
      const wakeAt = new Date(await step('durable.sleep', async () => new Date(Date.now() + ms).toISOString()));
      if (wakeAt.getTime() <= Date.now()) return;
      await suspend(wakeAt.toISOString(), wakeAt);
    },
    async waitForEvent<T extends Json>(name: string): Promise<T> {
      if (suspended) throw suspended;
      const stepName = `${eventStepPrefix}${name}`;
      if (stepName.length > 200) throw invalidArgument('name', `event names have at most ${200 - eventStepPrefix.length} characters, got ${name.length}`);
      // Both numbers are taken at the call, so waits running side by side number the same on replay.
      const index = eventWaits.get(name) ?? 0;
      eventWaits.set(name, index + 1);
      const stepNumber = next++;
      // Recorded: the step replays the payload it stored (or fails NONDETERMINISM) without asking again.
      if (history.has(stepNumber)) return runStep<T>(stepNumber, stepName, async () => { throw new Error('a recorded step does not run'); });
      // Not recorded yet: cancellation and the deadline end the wait as they end any step.
      signals.checkLease?.();
      if (signals.workflow.aborted) throw signals.workflow.reason;
      if (workflow.deadlineAt && workflow.deadlineAt.getTime() <= Date.now()) throw new WorkflowTimedOutError(workflow.deadlineAt);
      const { event } = await call(() => store.getWorkflowEvent({ workflowId: workflow.id, name, index }), true);
      if (!event) await suspend(`event ${name} #${index}`, undefined, { name, index });
      return runStep<T>(stepNumber, stepName, async () => JSON.parse(event!.payloadJson) as T);
    },
    child: (name, input) =>
      step(`durable.child:${name}`, async (run) => {
        const id = childWorkflowId(run.key);
        await store.createWorkflow({ id, name, inputJson: JSON.stringify(input), parentId: workflow.id, jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined });
        try {
          for (;;) {
            const { workflow: child } = await store.getWorkflow({ id });
            if (child && terminal.has(child.status)) {
              if (child.status === WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED) return (child.outputJson ? JSON.parse(child.outputJson) : null);
              throw new MeshError(status.ABORTED, 'CHILD_WORKFLOW_FAILED', `child workflow ${id} (${name}) ended ${workflowStatusToJSON(child.status)}: ${child.error}`);
            }
            await sleepUnlessAborted(200, run.signal);
            if (run.signal.aborted) throw run.signal.reason;
          }
        } catch (error) {
          if (run.signal.aborted) await store.requestWorkflowCancel({ id, reason: `parent ${workflow.id} stopped waiting` }).catch(() => undefined);
          throw error;
        }
      }),
  };
}
