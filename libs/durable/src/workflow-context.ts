import type { RetryPolicy } from './retry-policy.ts';

/** JSON-serializable values, as steps return and workflows take. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** What a step function receives. */
export interface StepRun {
  /** `<workflow id>:<step number>`: stable across retries and replays; use it as the idempotency key of side effects. */
  key: string;
  /** Attempt number, from 1. */
  attempt: number;
  /** Aborted on cancellation (unless the step is a clean-up step), deadline, lease loss or step timeout. */
  signal: AbortSignal;
}

/** Options of one step. */
export interface StepOptions {
  retry?: RetryPolicy;
  /** Per-attempt time limit, in ms; an attempt past it is aborted and fails DEADLINE_EXCEEDED. */
  timeoutMs?: number;
  /** A clean-up step runs even after cancellation or timeout (e.g. destroy the VM). @default false */
  cleanup?: boolean;
}

/** The durable context a workflow function gets. All side effects go through it. */
export interface WorkflowContext {
  /** Id of this workflow. */
  readonly workflowId: string;
  /** Registered name of this workflow. */
  readonly name: string;
  /** Aborted once the workflow is cancelled or timed out. */
  readonly signal: AbortSignal;
  /**
   * Runs `fn` once, checkpointing its output (or final error) before the
   * workflow goes on; on replay returns the recorded result without running.
   * @throws the step's final error (also on replay), WorkflowCancelledError, NondeterminismError
   */
  step<T extends Json | void>(name: string, fn: (run: StepRun) => Promise<T>, options?: StepOptions): Promise<T>;
  /** The time, checkpointed: the same value on replay. */
  now(): Promise<Date>;
  /** A random UUID, checkpointed: the same value on replay. */
  uuid(): Promise<string>;
  /** A durable timer: the workflow gives its lease back and resumes after `ms`, surviving restarts. */
  sleep(ms: number): Promise<void>;
  /**
   * Waits for an external event (raised with `WorkflowRuntime.raiseEvent` or persistence's
   * RaiseWorkflowEvent). Events are kept until the workflow ends, so one raised before the wait
   * is not lost: the k-th call for a name in an execution returns the k-th event of that name in
   * arrival order (from 0), whenever it arrived. The payload is checkpointed as the step
   * `durable.event:<name>`, so a replay returns the same payload without reading the event again.
   * While the event has not arrived, the workflow gives its lease back (suspends, as `sleep`
   * does) and runs again from the top once it has. Persistence raises `durable.child-ended` on a
   * parent when a child workflow ends (see `childEndedEvent`).
   * @param name event name: 1 to 186 letters, digits and `._:/@-`, starting with a letter or digit
   * @throws WorkflowCancelledError or WorkflowTimedOutError when cancelled or past the deadline
   * before the event came (a cancel request wakes a waiting workflow); INVALID_ARGUMENT (field
   * `name`) for a bad name; NondeterminismError when another step was recorded at this position
   */
  waitForEvent<T extends Json>(name: string): Promise<T>;
  /** Starts a child workflow (its id derives from this step) and waits for its output. */
  child<T extends Json>(name: string, input: Json): Promise<T>;
}

/** A workflow: an ordinary async function of its context and input. Must be deterministic outside steps. */
export type WorkflowFunction<I extends Json = Json, O extends Json | void = Json | void> = (ctx: WorkflowContext, input: I) => Promise<O>;
