import type { Vm } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmBackend, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';

/** VM states by name, as kept in the JSON records (readable on disk). */
export type VmStateName = 'PREPARING' | 'PREPARED' | 'STARTING' | 'READY' | 'EXECUTING' | 'STOPPING' | 'STOPPED' | 'DESTROYED' | 'FAILED';

/** Backends by name. */
export type BackendName = 'process' | 'qemu';

/** What vm-runner keeps about one VM, in `<stateDir>/vms/<id>.json`; survives restarts. */
export interface VmRecord {
  id: string;
  /** Prepare's idempotency key. */
  key: string;
  /** Canonical label name (not the alias asked for). */
  label: string;
  backend: BackendName;
  state: VmStateName;
  domainName: string;
  jobRequestId: string;
  /** Folder holding every file of the VM; removed by Destroy. */
  vmDir: string;
  overlayPath: string;
  seedPath: string;
  /** qemu's run folder (pid file, QMP and agent sockets); '' for processes. */
  runDir: string;
  /** qemu pid, or the process job's pid (its process group leader); 0 when none. */
  pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid apart. */
  pidStartTicks: number;
  accelerator: string;
  message: string;
  createdAt: string;
  updatedAt: string;
}

/** The contract's enum value of a state name. */
export function vmStateOf(name: VmStateName): VmState {
  return VmState[`VM_STATE_${name}`];
}

/** The contract's enum value of a backend name. */
export function vmBackendOf(name: BackendName): VmBackend {
  return name === 'qemu' ? VmBackend.VM_BACKEND_QEMU : VmBackend.VM_BACKEND_PROCESS;
}

/** The contract's view of a record. */
export function toProtoVm(record: VmRecord): Vm {
  return {
    id: record.id,
    key: record.key,
    runsOn: record.label,
    backend: vmBackendOf(record.backend),
    state: vmStateOf(record.state),
    domainName: record.domainName,
    overlayPath: record.overlayPath,
    seedPath: record.seedPath,
    pid: record.pid,
    jobRequestId: record.jobRequestId,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    accelerator: record.accelerator,
    message: record.message,
  };
}
