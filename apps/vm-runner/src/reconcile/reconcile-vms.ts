import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@jobmesh/logger';
import type { Backend } from '../backends/backend.ts';
import type { VmRegistry } from '../vms/create-vm-registry.ts';
import type { VmRecord, VmStateName } from '../vms/vm-record.ts';
import { watchVmExit } from '../vms/watch-vm-exit.ts';

/** What reconciliation did, for the start-up log and tests. */
export interface ReconcileSummary {
  reattached: string[];
  stopped: string[];
  failed: string[];
  cleaned: string[];
  orphans: string[];
}

/**
 * Brings the records of a previous vm-runner run in line with reality and
 * records the final states: live qemu VMs that were starting or ready are
 * re-attached (one that was executing goes back to READY: Exec re-joins the
 * guest's job); a process job whose Exec stream died with us is killed and its VM
 * goes back to READY so the job can run again; dead VMs become
 * STOPPED; destroyed or half-prepared VMs lose their files; folders without a
 * record are orphans and go, processes included.
 */
export async function reconcileVms(deps: {
  registry: VmRegistry;
  backends: Partial<Record<'process' | 'qemu', Backend>>;
  logger: Logger;
  stopGraceMs: number;
}): Promise<ReconcileSummary> {
  const { registry, backends, logger } = deps;
  const summary: ReconcileSummary = { reattached: [], stopped: [], failed: [], cleaned: [], orphans: [] };
  const records = await registry.store.loadAll((file, error) => logger.error('unreadable vm record; left in place', { file, error }));
  for (const record of records) registry.add(record);

  for (const record of records) {
    const backend = backends[record.backend];
    if (!backend) {
      logger.warn('backend unavailable; vm left as recorded', { vm: record.id, backend: record.backend });
      continue;
    }
    try {
      await reconcileOne(record, backend);
    } catch (error) {
      logger.error('reconciling a vm failed', { vm: record.id, error });
    }
  }

  const known = new Set(records.map((r) => r.id));
  for (const entry of await readdir(registry.store.vmsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || known.has(entry.name)) continue;
    const dir = join(registry.store.vmsDir, entry.name);
    for (const backend of Object.values(backends)) await backend.cleanOrphan?.(dir).catch((error: unknown) => logger.warn('orphan clean-up failed', { dir, error }));
    await rm(dir, { recursive: true, force: true });
    summary.orphans.push(entry.name);
  }
  logger.info('reconciled vms', { ...summary, records: records.length });
  return summary;

  async function reconcileOne(record: VmRecord, backend: Backend): Promise<void> {
    const set = (state: VmStateName, message: string) => registry.transition(record, state, message, { pid: 0, pidStartTicks: 0 });
    if (record.state === 'DESTROYED') {
      await backend.destroy(record); // finishes a Destroy cut short by the restart; no-op otherwise
      return;
    }
    if (record.state === 'PREPARING') {
      await backend.destroy(record);
      await set('DESTROYED', 'prepare interrupted by a vm-runner restart; files removed');
      await registry.forget(record.id);
      summary.cleaned.push(record.id);
      return;
    }
    const alive = await backend.reattach(record);
    const wasExecuting = record.state === 'EXECUTING';
    if (alive && record.backend === 'qemu' && (record.state === 'STARTING' || record.state === 'READY' || wasExecuting)) {
      // The guest agent's RUN is idempotent: a later Exec re-joins a job still running in
      // the guest (or reports how it ended), so an interrupted Exec is not a failed VM.
      const message = wasExecuting ? 're-attached after a vm-runner restart; Exec re-joins the running job' : 're-attached after a vm-runner restart';
      await registry.transition(record, wasExecuting ? 'READY' : record.state, message);
      watchVmExit(registry, backend, record, logger);
      summary.reattached.push(record.id);
      return;
    }
    if (alive && wasExecuting && backend.hasRun?.(record)) {
      // A detached job (Exec with rejoin) writes to files, not to our pipes: it goes on, and
      // the next Exec with rejoin re-joins it and reports its real outcome.
      summary.reattached.push(record.id);
      return;
    }
    if (alive) await backend.stop(record, { graceMs: deps.stopGraceMs, force: wasExecuting });
    if (wasExecuting) {
      if (record.backend === 'process') {
        // A detached job that began and is gone ended while vm-runner was away: Exec with rejoin
        // reports how (its exit code file). Anything else was killed above, or never began.
        const ended = !alive && backend.hasRun?.(record) === true;
        await set('READY', ended ? 'the job ended while vm-runner was restarting; Exec with rejoin reports how' : 'job interrupted by a vm-runner restart; its processes were killed');
        summary.stopped.push(record.id);
      } else {
        await set('FAILED', 'job interrupted by a vm-runner restart; the VM was stopped');
        summary.failed.push(record.id);
      }
      return;
    }
    if (record.state === 'STARTING' || record.state === 'READY' || record.state === 'STOPPING') {
      if (record.backend === 'process' && record.state !== 'STOPPING') return; // nothing runs between jobs
      await set('STOPPED', alive ? 'stopped after a vm-runner restart' : 'found stopped after a vm-runner restart');
      summary.stopped.push(record.id);
    } else if (record.pid !== 0) {
      await registry.patch(record, { pid: 0, pidStartTicks: 0 });
    }
  }
}
