import { invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { VmEventRecorder } from '../records/create-vm-event-recorder.ts';
import { assertTransition, holdsSlot } from './vm-transitions.ts';
import type { VmRecord, VmStateName } from './vm-record.ts';
import type { VmStateStore } from './vm-state-store.ts';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The VMs of this host in memory, mirrored to their JSON records and to persistence. */
export interface VmRegistry {
  readonly store: VmStateStore;
  /** Runs `fn` after every earlier locked operation on the same VM finished. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T>;
  get(id: string): VmRecord | undefined;
  /**
   * The VM a request names.
   * @throws INVALID_ARGUMENT (field `vm_id`) for a malformed id, NOT_FOUND (VM_NOT_FOUND) for an unknown one
   */
  require(id: string): VmRecord;
  list(): VmRecord[];
  /** VMs of a label that hold a slot. */
  slotsInUse(label: string): number;
  /** Adds a record (new, or loaded at start-up) without recording anything. */
  add(record: VmRecord): void;
  /** Forgets a VM entirely (its record file too). */
  forget(id: string): Promise<void>;
  /**
   * Changes a VM's state (and other fields), saves its record, then queues the event.
   * @throws FAILED_PRECONDITION when the state change is not allowed
   */
  transition(record: VmRecord, state: VmStateName, message: string, patch?: Partial<VmRecord>, details?: Record<string, string>): Promise<void>;
  /** Changes fields other than the state and saves the record; records nothing. */
  patch(record: VmRecord, patch: Partial<VmRecord>): Promise<void>;
}

/** Creates an empty registry over a state store and an event recorder. */
export function createVmRegistry(store: VmStateStore, recorder: VmEventRecorder): VmRegistry {
  const vms = new Map<string, VmRecord>();
  const locks = new Map<string, Promise<unknown>>();
  return {
    store,
    withLock(id, fn) {
      const previous = locks.get(id) ?? Promise.resolve();
      const next = previous.then(fn, fn);
      const settled = next.catch(() => undefined);
      locks.set(id, settled);
      void settled.then(() => locks.get(id) === settled && locks.delete(id));
      return next;
    },
    get: (id) => vms.get(id),
    require(id) {
      if (!uuidPattern.test(id)) throw invalidArgument('vm_id', 'must be a lower-case UUID');
      const record = vms.get(id);
      if (!record) throw notFound('VM_NOT_FOUND', `vm ${id} does not exist on this host`);
      return record;
    },
    list: () => [...vms.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)),
    slotsInUse: (label) => [...vms.values()].filter((vm) => vm.label === label && holdsSlot(vm.state)).length,
    add: (record) => void vms.set(record.id, record),
    async forget(id) {
      vms.delete(id);
      await store.remove(id);
    },
    async transition(record, state, message, patch = {}, details) {
      assertTransition(record.id, record.state, state);
      Object.assign(record, patch, { state, message, updatedAt: new Date().toISOString() });
      await store.save(record);
      recorder.record(record, message, details);
    },
    async patch(record, patch) {
      Object.assign(record, patch, { updatedAt: new Date().toISOString() });
      await store.save(record);
    },
  };
}
