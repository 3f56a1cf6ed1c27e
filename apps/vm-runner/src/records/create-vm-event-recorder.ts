import { randomUUID } from 'node:crypto';
import type { VmEvent } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import type { RecordBuffer } from '@jobmesh/record-buffer';
import { vmBackendOf, vmStateOf, type VmRecord } from '../vms/vm-record.ts';

/** Turns VM transitions into persistence VM events and queues them. */
export interface VmEventRecorder {
  /** Queues one event with the record's current state; never blocks, never throws. */
  record(vm: VmRecord, message: string, details?: Record<string, string>): void;
}

/**
 * Creates the recorder over a record buffer. Persistence lets the newest
 * occurred_at decide a VM's state and stores milliseconds, so two transitions
 * in the same millisecond could tie: occurred_at is kept strictly increasing.
 */
export function createVmEventRecorder(buffer: RecordBuffer<VmEvent>, host: string): VmEventRecorder {
  let lastMs = 0;
  return {
    record(vm, message, details = {}) {
      lastMs = Math.max(Date.now(), lastMs + 1);
      buffer.add({
        eventId: randomUUID(),
        requestId: vm.id,
        jobRequestId: vm.jobRequestId,
        domainName: vm.domainName,
        overlayPath: vm.overlayPath,
        seedPath: vm.seedPath,
        backend: vmBackendOf(vm.backend),
        state: vmStateOf(vm.state),
        message: message.slice(0, 8192),
        host,
        details: { label: vm.label, ...(vm.pid ? { pid: String(vm.pid) } : {}), ...(vm.accelerator ? { accel: vm.accelerator } : {}), ...details },
        occurredAt: new Date(lastMs),
        sequence: 0,
      });
    },
  };
}
