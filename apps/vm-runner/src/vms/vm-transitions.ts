import { failedPrecondition } from '@jobmesh/grpc-kit';
import type { VmStateName } from './vm-record.ts';

/**
 * Allowed state changes. DESTROYED is final; FAILED can only be stopped or
 * destroyed; a stopped VM may start again (same overlay).
 */
const allowed: Record<VmStateName, readonly VmStateName[]> = {
  PREPARING: ['PREPARED', 'FAILED', 'DESTROYED'],
  PREPARED: ['STARTING', 'FAILED', 'DESTROYED'],
  STARTING: ['READY', 'STOPPING', 'STOPPED', 'FAILED', 'DESTROYED'],
  READY: ['EXECUTING', 'STOPPING', 'STOPPED', 'FAILED', 'DESTROYED'],
  EXECUTING: ['READY', 'STOPPING', 'STOPPED', 'FAILED', 'DESTROYED'],
  STOPPING: ['STOPPED', 'FAILED', 'DESTROYED'],
  STOPPED: ['STARTING', 'DESTROYED'],
  FAILED: ['STOPPING', 'STOPPED', 'DESTROYED'],
  DESTROYED: [],
};

/** True when a VM may go from `from` to `to` (staying put is always allowed). */
export function canTransition(from: VmStateName, to: VmStateName): boolean {
  return from === to || allowed[from].includes(to);
}

/**
 * Checks a state change.
 * @throws FAILED_PRECONDITION (reason VM_DESTROYED or STATE_MISMATCH) when it is not allowed
 */
export function assertTransition(id: string, from: VmStateName, to: VmStateName): void {
  if (canTransition(from, to)) return;
  if (from === 'DESTROYED') throw failedPrecondition('VM_DESTROYED', `vm ${id} is destroyed`);
  throw failedPrecondition('STATE_MISMATCH', `vm ${id} is ${from} and cannot become ${to}`);
}

/** States in which a VM holds a slot of its label. */
export function holdsSlot(state: VmStateName): boolean {
  return state !== 'DESTROYED';
}
