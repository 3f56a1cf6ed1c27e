import { alreadyExists, deadlineExceeded, failedPrecondition, isMeshError, resourceExhausted } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, ExecOutcome, JobPayload } from '../backends/backend.ts';
import type { Catalog } from '../catalog/create-catalog.ts';
import type { LabelHealth } from '../catalog/create-label-health.ts';
import type { VmRegistry } from './create-vm-registry.ts';
import { CallLeftError } from '../backends/process/run-detached-job.ts';
import { vmIdFromKey } from './vm-id-from-key.ts';
import { watchVmExit } from './watch-vm-exit.ts';
import type { VmRecord } from './vm-record.ts';

/** What the lifecycle works with. */
export interface VmLifecycleDeps {
  registry: VmRegistry;
  catalog: Catalog;
  /** Backends by name; a missing one makes its labels refuse Prepare. */
  backends: Partial<Record<'process' | 'qemu', Backend>>;
  logger: Logger;
  /** WaitReady's timeout when the request gives none. */
  readyTimeoutMs: number;
  /** Grace of Stop and of killing a job, when the request gives none. */
  stopGraceMs: number;
  /** Whether a label can run here; Prepare refuses one that cannot. */
  health?: LabelHealth;
  /** Where CollectOutputs stages (`<outputRoot>/<vm id>`): Destroy removes what fsops did not take. */
  outputRoot?: string;
}

/** A job run's options as Exec gives them. */
export interface ExecRequestOptions {
  timeoutMs: number;
  killGraceMs: number;
  signal: AbortSignal;
  /** Takes a piece of output; a returned promise holds the job's output back until it resolves (see ExecOptions.onOutput). */
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void | Promise<void>;
  /** The run belongs to the VM: re-join it, never run the job twice (see ExecRequest.rejoin). @default false */
  rejoin?: boolean;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The VM operations behind the API: each checks the state machine and records every transition. */
export function createVmLifecycle(deps: VmLifecycleDeps) {
  const { registry, catalog, logger } = deps;
  // Job runs in flight, by VM id: Stop and Destroy end them first.
  const execs = new Map<string, AbortController>();

  const backendOf = (record: VmRecord): Backend => {
    const backend = deps.backends[record.backend];
    if (!backend) throw failedPrecondition('BACKEND_UNAVAILABLE', `backend ${record.backend} is not available on this host`);
    return backend;
  };

  return {
    /** @throws INVALID_ARGUMENT unknown label, ALREADY_EXISTS key used for another label, RESOURCE_EXHAUSTED no slot, FAILED_PRECONDITION backend failure */
    async prepare(runsOn: string, input: JobPayload & { key: string; jobRequestId: string }): Promise<VmRecord> {
      const label = catalog.resolve(runsOn);
      const id = vmIdFromKey(input.key);
      // A label that cannot work here fails at once with the reason, rather than being retried forever.
      const unavailable = registry.get(id) ? '' : await deps.health?.reasonOf(label);
      if (unavailable) throw failedPrecondition('LABEL_UNAVAILABLE', `label ${label.name} cannot run jobs on this host: ${unavailable}`);
      return registry.withLock(id, async () => {
        const existing = registry.get(id);
        if (existing) {
          if (existing.label !== label.name) throw alreadyExists('KEY_CONFLICT', `key ${input.key} made vm ${id} for label ${existing.label}, not ${label.name}`);
          return existing;
        }
        const backend = deps.backends[label.backend];
        if (!backend) throw failedPrecondition('BACKEND_UNAVAILABLE', `label ${label.name} needs backend ${label.backend}, which is not available on this host`);
        // Check and claim the slot in one synchronous step, so concurrent Prepares cannot both take the last one.
        const inUse = registry.slotsInUse(label.name);
        if (inUse >= label.slots) throw resourceExhausted('NO_SLOT_FREE', `label ${label.name} has all ${label.slots} slots in use`);
        const now = new Date().toISOString();
        const record: VmRecord = {
          id, key: input.key, label: label.name, backend: label.backend, state: 'PREPARING', domainName: `jm-${id}`,
          jobRequestId: input.jobRequestId, vmDir: registry.store.dirOf(id), overlayPath: '', seedPath: '', runDir: '',
          pid: 0, pidStartTicks: 0, accelerator: '', message: '', createdAt: now, updatedAt: now,
        };
        registry.add(record);
        await registry.transition(record, 'PREPARING', `preparing for label ${label.name}`);
        try {
          const files = await backend.prepare(record, label, input);
          await registry.transition(record, 'PREPARED', 'overlay and seed made', files);
          return record;
        } catch (error) {
          // Forget the VM so a retry with the same key prepares afresh rather than finding a broken one.
          logger.warn('prepare failed', { vm: id, error });
          await backend.destroy(record).catch(() => undefined);
          await registry.transition(record, 'DESTROYED', `prepare failed: ${messageOf(error)}`);
          await registry.forget(id);
          if (isMeshError(error)) throw error;
          throw failedPrecondition('PREPARE_FAILED', `preparing vm ${id} failed: ${messageOf(error)}`, { cause: error });
        }
      });
    },

    /** Launches a PREPARED or STOPPED VM; a started one is returned as is. */
    async start(id: string): Promise<VmRecord> {
      return registry.withLock(id, async () => {
        const record = registry.require(id);
        if (record.state === 'STARTING' || record.state === 'READY' || record.state === 'EXECUTING') return record;
        await registry.transition(record, 'STARTING', 'launching');
        try {
          const backend = backendOf(record);
          const started = await backend.start(record, catalog.resolve(record.label));
          await registry.transition(record, 'STARTING', 'launched', started, { pid: String(started.pid) });
          watchVmExit(registry, backend, record, logger);
        } catch (error) {
          await registry.transition(record, 'FAILED', `start failed: ${messageOf(error)}`, { pid: 0 });
          throw isMeshError(error) ? error : failedPrecondition('START_FAILED', `starting vm ${id} failed: ${messageOf(error)}`, { cause: error });
        }
        return record;
      });
    },

    /** @throws DEADLINE_EXCEEDED (READY_TIMEOUT), FAILED_PRECONDITION when not started or the guest failed */
    async waitReady(id: string, timeoutMs: number, signal: AbortSignal): Promise<VmRecord> {
      const record = registry.require(id);
      if (record.state === 'READY' || record.state === 'EXECUTING') return record;
      if (record.state === 'DESTROYED') throw failedPrecondition('VM_DESTROYED', `vm ${id} is destroyed`);
      if (record.state !== 'STARTING') throw failedPrecondition('VM_NOT_STARTED', `vm ${id} is ${record.state}; Start it first`);
      // The label knows how long its image takes to boot, but never past what the caller waits
      // for: the answer (READY_TIMEOUT with the console) must come before the caller's deadline.
      const label = catalog.find(record.label);
      const labelMs = label?.backend === 'qemu' ? label.readyTimeoutMs : undefined;
      const callerMs = timeoutMs > 0 ? timeoutMs : undefined;
      const waitMs = labelMs !== undefined && callerMs !== undefined ? Math.min(labelMs, callerMs) : labelMs ?? callerMs ?? deps.readyTimeoutMs;
      const timeout = AbortSignal.timeout(waitMs);
      const backend = backendOf(record);
      try {
        await backend.waitReady(record, waitMs, AbortSignal.any([signal, timeout]));
      } catch (error) {
        if (timeout.aborted) {
          const console = (await backend.consoleTail?.(record, 1500).catch(() => '')) ?? '';
          throw deadlineExceeded('READY_TIMEOUT', `vm ${id} of label ${record.label} was not ready within ${waitMs} ms${console ? `; its console ends with:\n${console}` : ''}`, { cause: error });
        }
        if (isMeshError(error)) throw error;
        // The caller is gone; answer with a status of the family rather than an INTERNAL log line.
        if (signal.aborted) throw deadlineExceeded('CALL_CANCELLED', `waiting for vm ${id} was cancelled`, { cause: error });
        await registry.withLock(id, async () => {
          if (record.state === 'STARTING') await registry.transition(record, 'FAILED', `guest never became ready: ${messageOf(error)}`);
        });
        throw failedPrecondition('GUEST_FAILED', `vm ${id} did not become ready: ${messageOf(error)}`, { cause: error });
      }
      return registry.withLock(id, async () => {
        if (record.state === 'STARTING') await registry.transition(record, 'READY', 'guest ready');
        return record;
      });
    },

    /** Runs the VM's job (or, with rejoin, re-joins the run it already has). @throws FAILED_PRECONDITION VM_NOT_READY, VM_BUSY or VM_DESTROYED */
    async exec(id: string, options: ExecRequestOptions): Promise<ExecOutcome> {
      const rejoin = options.rejoin === true;
      const record = await registry.withLock(id, async () => {
        const vm = registry.require(id);
        if (vm.state === 'DESTROYED') throw failedPrecondition('VM_DESTROYED', `vm ${id} is destroyed`);
        // With rejoin, a VM that runs or ran its job is joined as it is: no second start.
        const joins = rejoin && (vm.state === 'EXECUTING' || (vm.state === 'READY' && backendOf(vm).hasRun?.(vm) === true));
        if (joins) return vm;
        if (vm.state === 'EXECUTING') throw failedPrecondition('VM_BUSY', `vm ${id} already runs a job`);
        if (vm.state !== 'READY') throw failedPrecondition('VM_NOT_READY', `vm ${id} is ${vm.state}, not READY`);
        await registry.transition(vm, 'EXECUTING', 'job started');
        return vm;
      });
      // The first caller's controller is the one Stop and Destroy abort.
      const own = execs.get(id) === undefined ? new AbortController() : undefined;
      const controller = own ?? execs.get(id)!;
      if (own) execs.set(id, own);
      // Without rejoin the call owns the run: its end cancels the job (issue 4). With rejoin it only leaves.
      const onCallAbort = () => controller.abort(options.signal.reason);
      if (!rejoin) {
        options.signal.addEventListener('abort', onCallAbort, { once: true });
        if (options.signal.aborted) onCallAbort();
      }
      try {
        const outcome = await backendOf(record).exec(record, {
          timeoutMs: options.timeoutMs,
          killGraceMs: options.killGraceMs > 0 ? options.killGraceMs : deps.stopGraceMs,
          signal: controller.signal,
          onOutput: options.onOutput,
          onSpawn: (pid, startTicks) => registry.patch(record, { pid, pidStartTicks: startTicks }).catch((error: unknown) => logger.error('saving the job pid failed', { vm: id, error })),
          rejoin,
          callSignal: options.signal,
        });
        await registry.withLock(id, async () => {
          const how = outcome.timedOut ? 'timed out' : outcome.signal ? `killed by ${outcome.signal}` : `exited ${outcome.exitCode}`;
          const patch = record.backend === 'process' ? { pid: 0, pidStartTicks: 0 } : {};
          if (record.state === 'EXECUTING') await registry.transition(record, 'READY', `job ${how}`, patch, { exitCode: String(outcome.exitCode), timedOut: String(outcome.timedOut) });
        });
        return outcome;
      } catch (error) {
        if (error instanceof CallLeftError) throw deadlineExceeded('CALL_CANCELLED', `the caller of exec on vm ${id} went away; the job goes on`, { cause: error });
        await registry.withLock(id, async () => {
          if (record.state === 'EXECUTING') await registry.transition(record, 'FAILED', `job could not run: ${messageOf(error)}`);
        });
        throw isMeshError(error) ? error : failedPrecondition('EXEC_FAILED', `job in vm ${id} failed to run: ${messageOf(error)}`, { cause: error });
      } finally {
        options.signal.removeEventListener('abort', onCallAbort);
        if (own && execs.get(id) === own) execs.delete(id);
      }
    },

    /** Stops a VM (and its job); idempotent. @returns the record and how it stopped */
    async stop(id: string, options: { force: boolean; graceMs: number }): Promise<{ record: VmRecord; stoppedBy: string }> {
      return registry.withLock(id, async () => {
        const record = registry.require(id);
        if (['PREPARED', 'STOPPED', 'DESTROYED'].includes(record.state)) return { record, stoppedBy: 'none' };
        execs.get(id)?.abort(new Error('vm stopped'));
        const failed = record.state === 'FAILED';
        if (!failed) await registry.transition(record, 'STOPPING', options.force ? 'forced stop' : 'graceful stop');
        const graceMs = options.graceMs > 0 ? options.graceMs : deps.stopGraceMs;
        const stoppedBy = await backendOf(record).stop(record, { graceMs, force: options.force });
        await registry.transition(record, 'STOPPED', `stopped (${stoppedBy})`, { pid: 0, pidStartTicks: 0 }, { stoppedBy });
        return { record, stoppedBy };
      });
    },

    /** Kills what runs, removes every file of the VM; idempotent. */
    async destroy(id: string): Promise<VmRecord> {
      return registry.withLock(id, async () => {
        const record = registry.require(id);
        if (record.state === 'DESTROYED') return record;
        execs.get(id)?.abort(new Error('vm destroyed'));
        await backendOf(record).destroy(record);
        if (deps.outputRoot) await rm(join(deps.outputRoot, id), { recursive: true, force: true });
        await registry.transition(record, 'DESTROYED', 'destroyed; files removed', { pid: 0, pidStartTicks: 0 });
        return record;
      });
    },

    /** Stops every job in flight (shutdown): their streams end with a result. */
    abortAll(reason: string) {
      for (const controller of execs.values()) controller.abort(new Error(reason));
    },
  };
}

/** The VM operations. */
export type VmLifecycle = ReturnType<typeof createVmLifecycle>;
