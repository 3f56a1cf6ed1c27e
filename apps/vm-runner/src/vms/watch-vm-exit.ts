import type { Logger } from '@jobmesh/logger';
import type { Backend } from '../backends/backend.ts';
import type { VmRegistry } from './create-vm-registry.ts';
import type { VmRecord } from './vm-record.ts';

/**
 * Marks a VM STOPPED when its machine ends by itself (the guest powered off or
 * crashed) rather than through Stop or Destroy, so GetVm and persistence never
 * show a dead VM as READY. Stop and Destroy change the state first, under the
 * VM's lock, so by the time this runs they have nothing left to race.
 */
export function watchVmExit(registry: VmRegistry, backend: Backend, record: VmRecord, logger: Logger): void {
  const exited = backend.exited?.(record);
  if (!exited) return;
  const pid = record.pid;
  void exited.then(() =>
    registry.withLock(record.id, async () => {
      if (record.pid !== pid || !['STARTING', 'READY', 'EXECUTING'].includes(record.state)) return;
      logger.warn('vm machine exited by itself', { vm: record.id, pid });
      await registry.transition(record, 'STOPPED', 'the machine exited by itself', { pid: 0, pidStartTicks: 0 });
    }),
  ).catch((error: unknown) => logger.error('recording a vm exit failed', { vm: record.id, error }));
}
