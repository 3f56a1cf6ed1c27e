import { WorkflowStatus, workflowStatusToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createWorkflowRuntime, type Json, type WorkflowRuntime, type WorkflowStore } from '@jobmesh/durable';
import { createLogger } from '@jobmesh/logger';
import { randomUUID } from 'node:crypto';
import { throughput } from '../repeat.ts';

/** Options of a runtime driven by the bench. */
export interface BenchRuntimeOptions {
  store: WorkflowStore;
  /** Workflow name (distinct per runtime, so two runtimes on one database never claim each other's work). */
  name: string;
  /** The workflow body; gets the workflow's input. */
  body: (ctx: Parameters<Parameters<WorkflowRuntime['register']>[1]>[0], input: Json) => Promise<Json | void>;
  maxConcurrent: number;
  /** How often the runtime looks for work when nothing woke it. @default the runtime's default */
  pollIntervalMs?: number;
  /** Longest wait for one workflow's end. @default 120000 (a lease of 15 s expires well before: an abandoned run is re-claimed) */
  endTimeoutMs?: number;
}

/** A libs/durable runtime whose workflows' ends the bench awaits without polling. */
export interface BenchRuntime {
  runtime: WorkflowRuntime;
  /**
   * Starts a workflow; @returns once runtime.start() returned, with `ended`, which settles when the
   * workflow has ended and rejects unless it SUCCEEDED in time (naming the runtime's last warnings).
   */
  enqueue(input: Json): Promise<{ ended: Promise<void> }>;
  /**
   * Like enqueue, but the workflow is created with a plain CreateWorkflow call on `producer`, as
   * another process would: nothing in this process tells the runtime that work arrived.
   */
  enqueueFromOutside(input: Json, producer: WorkflowStore): Promise<{ ended: Promise<void> }>;
  /** enqueue, then wait for the end. */
  startAndWait(input: Json): Promise<void>;
  /** `count` workflows by `concurrency` clients (start, wait for the end, next). */
  runMany(count: number, concurrency: number, input: (index: number) => Json): Promise<{ opsPerSec: number }>;
  stop(): Promise<void>;
}

/**
 * Starts a runtime on `store` for the bench. The end of a workflow is the moment its
 * CompleteWorkflow call returned (wrapped here), so waiting costs no polling of the store,
 * which would load the very service being measured.
 */
export function startBenchRuntime(options: BenchRuntimeOptions): BenchRuntime {
  const waiters = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  const warnings: string[] = [];
  const logger = createLogger('bench-durable', {
    level: 'warn',
    sink: (line) => {
      warnings.push(line.length > 600 ? `${line.slice(0, 600)}…` : line);
      if (warnings.length > 5) warnings.shift();
    },
  });
  const base = options.store;
  const store = new Proxy(base, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'completeWorkflow' || typeof value !== 'function') return value;
      const complete = value as WorkflowStore['completeWorkflow'];
      return async (...args: Parameters<WorkflowStore['completeWorkflow']>) => {
        const response = await complete.apply(target, args);
        const [request] = args;
        const waiter = waiters.get(request.id);
        if (waiter) {
          waiters.delete(request.id);
          if (request.status === WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED) waiter.resolve();
          else waiter.reject(new Error(`workflow ${request.id} ended ${workflowStatusToJSON(request.status)}: ${request.error}`));
        }
        return response;
      };
    },
  });
  const runtime = createWorkflowRuntime({ store, logger, maxConcurrent: options.maxConcurrent, ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}) });
  runtime.register(options.name, options.body);
  runtime.run();
  const endTimeoutMs = options.endTimeoutMs ?? 120_000;

  const enqueueWith = async (create: (id: string) => Promise<unknown>) => {
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<void>((resolve, reject) => {
      waiters.set(id, { resolve, reject });
      timer = setTimeout(() => {
        waiters.delete(id);
        reject(new Error(`workflow ${id} did not end within ${endTimeoutMs} ms (${runtime.running()} running here); last runtime warnings: ${warnings.join(' / ') || 'none'}`));
      }, endTimeoutMs);
    }).finally(() => clearTimeout(timer));
    ended.catch(() => undefined); // awaited by the caller, maybe later than it settles
    try {
      await create(id);
    } catch (error) {
      waiters.delete(id);
      clearTimeout(timer);
      throw error;
    }
    return { ended };
  };
  const enqueue = (input: Json) => enqueueWith((id) => runtime.start(options.name, input, { id }));
  const enqueueFromOutside = (input: Json, producer: WorkflowStore) => enqueueWith((id) => producer.createWorkflow({
    id, name: options.name, inputJson: JSON.stringify(input), parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0,
  }));
  const startAndWait = async (input: Json) => (await enqueue(input)).ended;
  return {
    runtime,
    enqueue,
    enqueueFromOutside,
    startAndWait,
    runMany: (count, concurrency, input) => throughput(count, concurrency, (i) => startAndWait(input(i))),
    stop: () => runtime.stop(),
  };
}
