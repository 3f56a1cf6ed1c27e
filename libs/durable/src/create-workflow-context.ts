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

/** How long waitForEvent keeps the lease, polling, before it gives the workflow back to wait. */
const defaultEventHoldMs = 30_000;

export interface ExecutionHooks {
  /**
   * How long `waitForEvent` keeps polling for a missing event (20 ms growing to 500 ms) while it
   * holds the lease, before it releases the workflow to be woken by the event. @default 30000
   */
  eventHoldMs?: number;
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

/** The context of one execution, with what the runtime needs at its end. */
export interface ExecutionContext extends WorkflowContext {
  /**
   * The checkpoints of the last steps, not written yet, for CompleteWorkflow to write in its
   * transaction (hand each to `checkpointed` once that succeeded). @returns none when nothing is pending
   * @throws what an earlier checkpoint write met (LeaseLostError, NondeterminismError)
   */
  takePendingCheckpoints(): Promise<WorkflowStep[]>;
  /** Calls the afterCheckpoint hook of a checkpoint written by CompleteWorkflow. */
  checkpointed(step: WorkflowStep): void;
  /** Calls the beforeCheckpoint hook of a checkpoint CompleteWorkflow is about to write. */
  checkpointing(step: WorkflowStep): void;
}

/**
 * Builds the context of one execution: step numbers count from 0 in call
 * order; a recorded step replays, a new one runs and its checkpoint is written
 * with the claim's fencing token before anything else can act on it: before
 * the next step runs, before the workflow suspends, or with its completion.
 * The workflow's own code between two steps runs before the earlier one's
 * checkpoint is durable; it must have no side effects (the contract of a
 * workflow function), so a crash there only repeats the step, as a crash
 * between a step and its checkpoint always did. The completion carrying the
 * last checkpoint saves a round trip and a commit per workflow.
 */
export function createWorkflowContext(workflow: Workflow, recorded: WorkflowStep[], store: WorkflowStore, signals: ExecutionSignals, hooks: ExecutionHooks = {}, stepsInFlight = new Set<Promise<unknown>>()): ExecutionContext {
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

  // Checkpoints of finished steps waiting for the next step, a suspension or the completion
  // (several when steps ran side by side), and the write of those taken before.
  const pending: WorkflowStep[] = [];
  let flushing: Promise<void> = Promise.resolve();
  // The first failed write (LEASE_LOST, NONDETERMINISM): every later write and the completion see it.
  let flushFailure: unknown;
  /** Writes the pending checkpoints (their hooks around each), after any earlier write. */
  const flush = (): Promise<void> => {
    const steps = pending.splice(0);
    const earlier = flushing;
    const written = earlier.then(async () => {
      if (flushFailure) throw flushFailure;
      await Promise.all(steps.map(async (step) => {
        hooks.beforeCheckpoint?.(step.name);
        await checkpoint(step);
        hooks.afterCheckpoint?.(step.name);
      }));
    }).catch((error: unknown) => {
      flushFailure ??= error;
      throw error;
    });
    flushing = written.catch(() => undefined);
    return written;
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
    // The previous step's result is durable before this one acts.
    await flush();
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
    const finished: WorkflowStep = {
      stepNumber,
      name,
      status: outcome.ok ? StepStatus.STEP_STATUS_SUCCEEDED : StepStatus.STEP_STATUS_FAILED,
      outputJson: outcome.ok ? JSON.stringify(outcome.value ?? null) : '',
      errorJson: outcome.ok ? '' : JSON.stringify(toRecordedError(outcome.error)),
      attempts: outcome.attempts,
      startedAt,
      finishedAt: new Date(),
    };
    pending.push(finished);
    // The workflow's next step or its end, when they come in this turn of the event loop, take the
    // checkpoint with them (the end in its CompleteWorkflow); when the workflow waits for something
    // else first, it is written now rather than held.
    setImmediate(() => {
      if (pending.length) flush().catch(() => undefined);
    });
    // What the workflow gets is what a replay will return: the step's result through its JSON.
    return replay(finished) as T;
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
    await flush();
    await call(() => store.releaseWorkflow({
      id: workflow.id, fencingToken: workflow.fencingToken, resumeAt, waitEventName: wait?.name ?? '', waitEventIndex: wait?.index ?? 0,
    }), false);
    throw suspended;
  };

  return {
    workflowId: workflow.id,
    name: workflow.name,
    signal: signals.workflow,
    async takePendingCheckpoints() {
      // A write already under way (a step starting beside the end) goes first.
      await flushing;
      if (flushFailure) throw flushFailure;
      return pending.splice(0);
    },
    checkpointing: (step) => hooks.beforeCheckpoint?.(step.name),
    checkpointed: (step) => hooks.afterCheckpoint?.(step.name),
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
      const read = () => call(() => store.getWorkflowEvent({ workflowId: workflow.id, name, index }), true).then((r) => r.event);
      let event = await read();
      // Hold the lease a while before giving the workflow back: an event due soon (the next job of a
      // running pipeline ending) is then taken here, without a new claim that replays every step.
      const holdMs = hooks.eventHoldMs ?? defaultEventHoldMs;
      for (let waited = 0, pause = 20; !event && waited < holdMs; waited += pause, pause = Math.min(500, pause * 2)) {
        await sleepUnlessAborted(pause, signals.workflow);
        if (signals.workflow.aborted) throw signals.workflow.reason;
        signals.checkLease?.();
        if (workflow.deadlineAt && workflow.deadlineAt.getTime() <= Date.now()) throw new WorkflowTimedOutError(workflow.deadlineAt);
        event = await read();
      }
      if (!event) await suspend(`event ${name} #${index}`, undefined, { name, index });
      return runStep<T>(stepNumber, stepName, async () => JSON.parse(event!.payloadJson) as T);
    },
    child: (name, input) =>
      step(`durable.child:${name}`, async (run) => {
        const id = childWorkflowId(run.key);
        await store.createWorkflow({ id, name, inputJson: JSON.stringify(input), parentId: workflow.id, jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0 });
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
