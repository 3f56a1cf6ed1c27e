import { propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Workflow } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createWorkflowContext, type ExecutionContext, type ExecutionHooks } from './create-workflow-context.ts';
import { transientCodes } from './transient-codes.ts';
import type { Json, WorkflowFunction } from './workflow-context.ts';
import { LeaseLostError, NondeterminismError, WorkflowCancelledError, WorkflowSuspended, WorkflowTimedOutError } from './workflow-errors.ts';
import type { WorkflowStore } from './workflow-store.ts';

const tracer = trace.getTracer('jobmesh.durable');
/** Longest an abandoned execution waits for step functions that ignore their aborted signal, in ms. */
const stragglerWaitMs = 30_000;

/** What one execution needs. */
export interface ExecutionDeps {
  store: WorkflowStore;
  owner: string;
  leaseMs: number;
  logger: Logger;
  /** Aborted when the runtime stops or is killed: the execution unwinds without completing. */
  stop: AbortSignal;
  /** Aborted when the runtime claimed the workflow again: the execution unwinds, and ends only once the step functions it gave up on have. */
  superseded?: AbortSignal;
  /** `performance.now()` just before the claim was sent: the lease runs from no earlier than this. @default now */
  claimedAt?: number;
  /** An earlier execution of the same workflow in this runtime (superseded by this claim): this one heartbeats its lease meanwhile but runs no step before that one has ended. */
  after?: Promise<unknown>;
  /** Test hooks around checkpoints (crash drills). */
  hooks?: ExecutionHooks;
}

/**
 * How an execution ended, for the runtime's bookkeeping. `abandoned-busy`: abandoned while step
 * functions that ignored their aborted signal still run (the runtime stopped), so its lease must
 * be left to expire rather than released for another runtime to take at once.
 */
export type ExecutionEnd = 'completed' | 'suspended' | 'abandoned' | 'abandoned-busy';

/**
 * Runs a claimed workflow from the top: replays recorded steps, runs the rest,
 * heartbeats its lease (a third of the lease length) and watches for
 * cancellation and the deadline; then records the final status. An execution
 * whose lease was lost (or whose runtime stopped) returns without writing.
 */
export async function executeWorkflow(workflow: Workflow, fn: WorkflowFunction, deps: ExecutionDeps): Promise<ExecutionEnd> {
  // The execution joins the trace it was started in (its input's traceparent), so one job is one trace.
  const input = JSON.parse(workflow.inputJson || 'null') as Json;
  const traceparent = input && typeof input === 'object' && !Array.isArray(input) && typeof input.traceparent === 'string' ? input.traceparent : undefined;
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  return tracer.startActiveSpan(`workflow ${workflow.name}`, { attributes: { 'jobmesh.workflow.id': workflow.id, 'jobmesh.workflow.claim': workflow.claimCount } }, parent, async (span) => {
    try {
      const end = await runExecution(workflow, input, fn, deps);
      span.setAttribute('jobmesh.workflow.end', end);
      return end;
    } finally {
      span.end();
    }
  });
}

async function runExecution(workflow: Workflow, input: Json, fn: WorkflowFunction, deps: ExecutionDeps): Promise<ExecutionEnd> {
  const { store, logger } = deps;
  const log = logger.child({ workflowId: workflow.id, workflow: workflow.name, fencingToken: workflow.fencingToken });
  const lease = new AbortController();
  const cancel = new AbortController();
  const stepsInFlight = new Set<Promise<unknown>>();
  const loseLease = (error: LeaseLostError) => {
    if (!lease.signal.aborted) lease.abort(error);
    if (!cancel.signal.aborted) cancel.abort(error);
  };
  const ends = [deps.stop, deps.superseded].filter((signal) => signal !== undefined);
  const onStop = () => loseLease(new LeaseLostError(workflow.id, ends.find((signal) => signal.aborted)?.reason));
  for (const signal of ends) signal.addEventListener('abort', onStop, { once: true });
  if (ends.some((signal) => signal.aborted)) onStop();
  if (workflow.cancelRequested) cancel.abort(new WorkflowCancelledError(workflow.cancelReason));

  // The lease as this process can vouch for it: persistence extends it to its own now() + leaseMs,
  // which is no earlier than our send time + leaseMs. Once that passes without a heartbeat getting
  // through (persistence or Postgres away), another claim may already run the workflow: this
  // execution stops before it does anything more (the chaos drill saw a stale execution's
  // clean-up destroy the VM whose job the new execution was running).
  let leaseUntil = (deps.claimedAt ?? performance.now()) + deps.leaseMs;
  let expiry: NodeJS.Timeout | undefined;
  let ended = false;
  const watchExpiry = () => {
    clearTimeout(expiry);
    if (ended) return;
    expiry = setTimeout(() => (performance.now() < leaseUntil ? watchExpiry() : checkLease()), Math.max(0, leaseUntil - performance.now()));
  };
  // Timers can fire late after the event loop stalled: a step about to start checks the clock too.
  const checkLease = () => {
    if (!lease.signal.aborted && performance.now() >= leaseUntil) loseLease(new LeaseLostError(workflow.id, new Error(`no heartbeat got through for ${deps.leaseMs} ms: the lease expired`)));
  };
  const beat = () => {
    if (lease.signal.aborted) return; // given up: a heartbeat must not renew it behind our back
    const sentAt = performance.now();
    store.heartbeatWorkflow({ id: workflow.id, owner: deps.owner, fencingToken: workflow.fencingToken, leaseMs: deps.leaseMs }).then(
      ({ workflow: current }) => {
        if (!lease.signal.aborted && sentAt + deps.leaseMs > leaseUntil) {
          leaseUntil = sentAt + deps.leaseMs;
          watchExpiry();
        }
        if (current?.cancelRequested && !cancel.signal.aborted) cancel.abort(new WorkflowCancelledError(current.cancelReason));
      },
      (error: unknown) => {
        if (isMeshError(error, status.FAILED_PRECONDITION) || isMeshError(error, status.NOT_FOUND)) loseLease(new LeaseLostError(workflow.id, error));
        else log.warn('heartbeat failed; retrying', { error });
      },
    );
  };
  watchExpiry();
  const heartbeatEveryMs = Math.max(50, Math.floor(deps.leaseMs / 3));
  // A slow claim used part of the lease: renew it at once (the interval also renews it while a
  // superseded execution is still being waited for).
  if (leaseUntil - performance.now() < deps.leaseMs - heartbeatEveryMs) beat();
  const heartbeat = setInterval(beat, heartbeatEveryMs);
  const deadline = workflow.deadlineAt;
  const deadlineTimer = deadline
    ? setTimeout(() => cancel.abort(new WorkflowTimedOutError(deadline)), Math.max(0, deadline.getTime() - Date.now()))
    : undefined;

  let ctx: ExecutionContext | undefined;
  const complete = async (statusValue: number, outputJson: string, error: string): Promise<ExecutionEnd> => {
    if (lease.signal.aborted) return 'abandoned';
    // The last steps' checkpoints go with the completion, in its transaction: one round trip less.
    const taken = ctx ? await ctx.takePendingCheckpoints().then((steps) => ({ steps }), (failure: unknown) => ({ steps: [], failure })) : { steps: [] };
    if (lease.signal.aborted) return 'abandoned';
    if ('failure' in taken) {
      // A checkpoint written in the background met another step at its position: this is not the recorded workflow.
      if (!(taken.failure instanceof NondeterminismError)) return 'abandoned';
      log.error('nondeterministic workflow', { error: taken.failure });
      statusValue = WorkflowStatus.WORKFLOW_STATUS_FAILED;
      outputJson = '';
      error = `${taken.failure.message}`;
    }
    const finalSteps = taken.steps;
    for (const step of finalSteps) ctx!.checkpointing(step);
    try {
      await store.completeWorkflow({ id: workflow.id, fencingToken: workflow.fencingToken, status: statusValue as never, outputJson, error, finalSteps });
      for (const step of finalSteps) ctx!.checkpointed(step);
      return 'completed';
    } catch (caught) {
      log.warn('could not record the end of the workflow; another claim will finish it', { error: caught });
      return 'abandoned';
    }
  };

  const run = async (): Promise<ExecutionEnd> => {
    try {
      // A superseded execution of this workflow still unwinds here: nothing runs beside it.
      if (deps.after) await deps.after;
      checkLease();
      if (lease.signal.aborted) throw lease.signal.reason;
      // A first claim has nothing to replay: steps are only recorded under a claim's token, so
      // the read of the recorded steps (a round trip and two queries) is needed from the second claim on.
      // A failed read (persistence restarting or overloaded) abandons this execution: the lease
      // expires and another claim replays it. Failing the workflow here skipped its clean-up and
      // final job state (the chaos drill saw jobs left PREPARING forever, workflows FAILED at 2 steps).
      // Only a transient failure does: a read that can never succeed (a history past the message
      // size limit, say) fails the workflow instead of re-claiming it forever.
      const steps = workflow.claimCount === 1 ? [] : (await store.getWorkflow({ id: workflow.id }).catch((error: unknown) => {
        if (transientCodes.some((code) => isMeshError(error, code))) throw new LeaseLostError(workflow.id, error);
        throw error;
      })).steps;
      ctx = createWorkflowContext(workflow, steps, store, { workflow: cancel.signal, lease: lease.signal, loseLease, checkLease }, deps.hooks, stepsInFlight);
      const output = await fn(ctx, input);
      return await complete(WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, JSON.stringify(output ?? null), '');
    } catch (error) {
      if (error instanceof WorkflowSuspended) return 'suspended';
      if (error instanceof LeaseLostError || lease.signal.aborted) {
        log.warn('execution abandoned', { error });
        return 'abandoned';
      }
      if (error instanceof WorkflowCancelledError) return complete(WorkflowStatus.WORKFLOW_STATUS_CANCELLED, '', error.message);
      if (error instanceof WorkflowTimedOutError) return complete(WorkflowStatus.WORKFLOW_STATUS_TIMED_OUT, '', error.message);
      if (error instanceof NondeterminismError) log.error('nondeterministic workflow', { error });
      const message = isMeshError(error) ? `${error.reason}: ${error.message}` : error instanceof Error ? error.message : String(error);
      return complete(WorkflowStatus.WORKFLOW_STATUS_FAILED, '', message);
    }
  };

  let end: ExecutionEnd;
  try {
    end = await run();
  } finally {
    ended = true;
    clearInterval(heartbeat);
    clearTimeout(expiry);
    clearTimeout(deadlineTimer);
    for (const signal of ends) signal.removeEventListener('abort', onStop);
  }
  // An abandoned execution is over only when the step functions it gave up on have settled: until
  // then the runtime starts no other execution of the workflow beside them. A stopping runtime
  // does not wait (it starts none); it leaves such a lease to expire instead of releasing it.
  if (!lease.signal.aborted || stepsInFlight.size === 0) return end;
  if (!deps.stop.aborted && !(await stepsSettle(stepsInFlight, stragglerWaitMs, deps.stop))) {
    log.warn('abandoned execution: a step function still runs after its signal was aborted', { steps: stepsInFlight.size, waitedMs: stragglerWaitMs });
  }
  return stepsInFlight.size > 0 ? 'abandoned-busy' : end;
}

/** True once every step function in `steps` settled; false after `ms` or when `stop` aborts first. */
async function stepsSettle(steps: Set<Promise<unknown>>, ms: number, stop: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  try {
    return await Promise.race([
      Promise.all(steps).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
        onStop = () => resolve(false);
        stop.addEventListener('abort', onStop, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onStop) stop.removeEventListener('abort', onStop);
  }
}
