import { randomUUID } from 'node:crypto';
import type { Workflow } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Logger } from '@jobmesh/logger';
import type { ExecutionHooks } from './create-workflow-context.ts';
import { executeWorkflow, type ExecutionEnd } from './execute-workflow.ts';
import type { Json, WorkflowFunction } from './workflow-context.ts';
import type { WorkflowStore } from './workflow-store.ts';
import { sleepUnlessAborted } from './sleep-unless-aborted.ts';

/** Options of a runtime, with defaults. */
export interface WorkflowRuntimeOptions {
  store: WorkflowStore;
  logger: Logger;
  /** Identity of this runtime in leases. @default `<hostname-less random id>` */
  owner?: string;
  /** Lease length, in ms; a crashed runtime's workflows are claimable this long after its last heartbeat. @default 15000 */
  leaseMs?: number;
  /** How often to look for claimable workflows, in ms. @default 250 */
  pollIntervalMs?: number;
  /** Workflows run at once. @default 32 */
  maxConcurrent?: number;
  /** Hooks around step checkpoints, for crash drills. */
  hooks?: ExecutionHooks;
}

/** Where to start a workflow. */
export interface StartOptions {
  /** Id (UUID); starting the same id again returns it (idempotent). @default a random UUID */
  id?: string;
  parentId?: string;
  jobRequestId?: string;
  /** Ends TIMED_OUT when still running then. */
  deadlineAt?: Date;
}

/** Options of `WorkflowRuntime.raiseEvent`. */
export interface RaiseEventOptions {
  /** Idempotency key, unique per workflow (≤ 200 characters): raising again with it returns the stored event instead of a second one. @default none (every call raises a new event) */
  dedupeKey?: string;
}

/** An event as persistence stored it. */
export interface RaisedEvent {
  /** Arrival order within the workflow, from 1. */
  seq: number;
  /** False when an event with the same dedupe key was stored before (this one is that event). */
  created: boolean;
}

/** Runs registered workflows that it claims from persistence. */
export interface WorkflowRuntime {
  readonly owner: string;
  /** Registers a workflow function under a stable name. */
  register<I extends Json, O extends Json | void>(name: string, fn: WorkflowFunction<I, O>): void;
  /** Creates a workflow (PENDING); any runtime with the name registered runs it. @returns its id */
  start(name: string, input: Json, options?: StartOptions): Promise<string>;
  /** Starts claiming and running. */
  run(): void;
  /** Looks for work now instead of at the next poll. */
  wake(): void;
  /**
   * Raises an external event for a workflow (see `WorkflowContext.waitForEvent`): it is kept until
   * consumed, and a workflow waiting for it becomes claimable at once.
   * @param payload at most 1 MiB as JSON
   * @throws MeshError NOT_FOUND (WORKFLOW_NOT_FOUND) for an unknown workflow, FAILED_PRECONDITION
   * (WORKFLOW_ENDED) for one that has ended, INVALID_ARGUMENT naming the field for a bad name,
   * payload or dedupe key
   */
  raiseEvent(workflowId: string, name: string, payload: Json, options?: RaiseEventOptions): Promise<RaisedEvent>;
  /** Waits until a workflow ends; @returns it. */
  waitFor(id: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<Workflow>;
  /** Workflows running here now. */
  running(): number;
  /** Stops claiming, interrupts running workflows and gives their leases back so another runtime continues at once. */
  stop(): Promise<void>;
  /** Stops as a crash would: no checkpoint, no release; leases just expire. For tests and drills. */
  kill(): void;
}

const terminal = new Set<number>([WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, WorkflowStatus.WORKFLOW_STATUS_FAILED, WorkflowStatus.WORKFLOW_STATUS_CANCELLED, WorkflowStatus.WORKFLOW_STATUS_TIMED_OUT]);

/** Creates a runtime over persistence's WorkflowStoreService. */
export function createWorkflowRuntime(options: WorkflowRuntimeOptions): WorkflowRuntime {
  const { store, logger } = options;
  const owner = options.owner ?? `runtime-${randomUUID()}`;
  const leaseMs = options.leaseMs ?? 15_000;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maxConcurrent = options.maxConcurrent ?? 32;
  const registry = new Map<string, WorkflowFunction>();
  // One entry per workflow running here; `abort` ends that execution alone (a re-claim replaces it).
  const active = new Map<string, { workflow: Workflow; done: Promise<ExecutionEnd | undefined>; abort: AbortController }>();
  const stopper = new AbortController();
  let wakeLoop: (() => void) | undefined;
  // Set by a wake-up that came while a claim was in flight: the loop claims again at once
  // instead of sleeping a whole poll interval (the work it was woken for may have missed that claim).
  let wokenDuringClaim = false;
  let loop: Promise<void> | undefined;
  let watch: Promise<void> | undefined;

  /**
   * Claims as soon as persistence says a workflow of ours may be claimable (WatchClaimableWorkflows:
   * one started by another process, woken by an event, released): the poll only covers leases
   * that expire and times that come due. Reopened after a failure; absent from stores that lack it.
   */
  const watchForWork = async () => {
    if (typeof store.watchClaimableWorkflows !== 'function' || registry.size === 0) return;
    for (let backoffMs = 200; !stopper.signal.aborted; backoffMs = Math.min(backoffMs * 2, 5000)) {
      try {
        for await (const _hint of store.watchClaimableWorkflows({ names: [...registry.keys()] }, { signal: stopper.signal })) {
          backoffMs = 200;
          wakeLoop?.();
        }
      } catch (error) {
        if (!stopper.signal.aborted) logger.debug('watching for claimable workflows failed; reopening', { error, inMs: backoffMs });
      }
      if (!stopper.signal.aborted) await sleepUnlessAborted(backoffMs, stopper.signal);
    }
  };

  // Slots taken by start() calls waiting for their create-and-claim answer.
  let reserved = 0;
  const free = () => maxConcurrent - active.size - reserved;

  // Set when work may have been left unclaimed for want of a free slot (a claim while full, or
  // one that filled its limit): the next execution to end looks for more at once. Otherwise an
  // ending claims nothing (persistence announces new work, and the poll covers the rest): a
  // claim round trip per ended workflow was a fifth of the queue's calls.
  let starved = false;

  const claimOnce = async () => {
    if (registry.size === 0) return;
    const limit = Math.min(free(), 100);
    if (limit <= 0) {
      starved = true;
      return;
    }
    const claimedAt = performance.now();
    const { workflows } = await store.claimWorkflows({ owner, leaseMs, limit, names: [...registry.keys()] });
    if (workflows.length >= limit) starved = true;
    for (const workflow of workflows) launch(workflow, claimedAt);
  };

  /** Runs a workflow this runtime holds the lease of (claimed, or created claimed). */
  const launch = (workflow: Workflow, claimedAt: number) => {
    const fn = registry.get(workflow.name)!;
    // Claimed again while an execution of it still runs here: that execution's lease expired
    // (persistence was away longer than the lease), so it must stop; the new one heartbeats its
    // lease at once but runs no step until the old one (and what it gave up on) has ended:
    // two executions of one workflow never act side by side.
    const previous = active.get(workflow.id);
    previous?.abort.abort(new Error(`workflow ${workflow.id} was claimed again: the lease of its running execution expired`));
    const abort = new AbortController();
    const done: Promise<ExecutionEnd | undefined> = executeWorkflow(workflow, fn, { store, owner, leaseMs, logger, stop: stopper.signal, superseded: abort.signal, hooks: options.hooks, claimedAt, after: previous?.done })
      .catch((error: unknown) => (logger.error('workflow execution crashed', { workflowId: workflow.id, error }), undefined))
      .finally(() => {
        if (active.get(workflow.id) === entry) active.delete(workflow.id);
        if (starved) {
          starved = false;
          wakeLoop?.();
        }
      });
    const entry = { workflow, abort, done };
    active.set(workflow.id, entry);
  };

  return {
    owner,
    register(name, fn) {
      registry.set(name, fn as unknown as WorkflowFunction);
    },
    async start(name, input, start = {}) {
      const id = start.id ?? randomUUID();
      const request = { id, name, inputJson: JSON.stringify(input ?? null), parentId: start.parentId ?? '', jobRequestId: start.jobRequestId ?? '', scheduledAt: undefined, deadlineAt: start.deadlineAt };
      // Start and claim in one call when this runtime runs the workflow and has room for it: no
      // claim round trip, no wait for a wake-up or a poll. Otherwise it waits, PENDING, for any runtime.
      const runsHere = loop !== undefined && !stopper.signal.aborted && registry.has(name) && free() > 0 && !active.has(id);
      if (!runsHere) {
        await store.createWorkflow({ ...request, claimOwner: '', claimLeaseMs: 0 });
        wakeLoop?.();
        return id;
      }
      reserved++;
      try {
        const claimedAt = performance.now();
        const { workflow, claimed } = await store.createWorkflow({ ...request, claimOwner: owner, claimLeaseMs: leaseMs });
        if (claimed && workflow && !active.has(id) && !stopper.signal.aborted) launch(workflow, claimedAt);
        else wakeLoop?.();
      } finally {
        reserved--;
      }
      return id;
    },
    run() {
      watch ??= watchForWork();
      loop ??= (async () => {
        while (!stopper.signal.aborted) {
          wokenDuringClaim = false;
          wakeLoop = () => void (wokenDuringClaim = true);
          await claimOnce().catch((error: unknown) => logger.warn('claiming workflows failed; retrying', { error }));
          if (wokenDuringClaim) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollIntervalMs);
            wakeLoop = () => (clearTimeout(timer), resolve());
          });
        }
      })();
    },
    wake: () => wakeLoop?.(),
    async raiseEvent(workflowId, name, payload, raise = {}) {
      const { event, created } = await store.raiseWorkflowEvent({ workflowId, name, payloadJson: JSON.stringify(payload ?? null), dedupeKey: raise.dedupeKey ?? '' });
      // The workflow may be claimable now, perhaps here.
      wakeLoop?.();
      return { seq: event!.seq, created };
    },
    async waitFor(id, wait = {}) {
      const until = Date.now() + (wait.timeoutMs ?? 60_000);
      for (;;) {
        const { workflow } = await store.getWorkflow({ id });
        if (workflow && terminal.has(workflow.status)) return workflow;
        if (Date.now() > until) throw new Error(`workflow ${id} did not end within ${wait.timeoutMs ?? 60_000} ms`);
        await new Promise((r) => setTimeout(r, wait.pollMs ?? 50));
      }
    },
    running: () => active.size,
    async stop() {
      const interrupted = [...active.values()];
      stopper.abort(new Error('runtime stopping'));
      wakeLoop?.();
      await loop;
      await watch;
      const ends = await Promise.all(interrupted.map((a) => a.done));
      // A lease whose execution left a step function running is not handed over: it expires.
      await Promise.all(interrupted.filter((_, i) => ends[i] !== 'abandoned-busy').map(({ workflow }) =>
        store.releaseWorkflow({ id: workflow.id, fencingToken: workflow.fencingToken, resumeAt: undefined, waitEventName: '', waitEventIndex: 0 }).catch(() => undefined)));
    },
    kill() {
      stopper.abort(new Error('runtime killed'));
      wakeLoop?.();
    },
  };
}
