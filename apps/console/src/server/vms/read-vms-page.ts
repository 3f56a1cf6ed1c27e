import { VmBackend, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { Label } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import type { CallOptions } from '@jobmesh/grpc-kit';
import type { LabelView, VmsPage } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import { enumName } from '../views/enum-name.ts';
import { isoTime } from '../views/iso-time.ts';

const backendName = (value: number) => enumName(VmBackend, 'VM_BACKEND_', value);

function toLabelView(label: Label): LabelView {
  return {
    name: label.name, aliases: label.aliases, host: label.host, backend: backendName(label.backend), slotsTotal: label.slotsTotal,
    slotsInUse: label.slotsInUse, unavailableReason: label.unavailableReason, accelerator: label.accelerator, acceleratorReason: label.acceleratorReason,
  };
}

/**
 * A page of VMs with every label's capacity. A VM record names its job, not its label: the
 * label is the job's `runs_on` (GetJob, once per job of the page; `labelOf` caches it, a job's
 * label never changes), and the accelerator is that label's on the VM's host (ListLabels).
 */
export async function readVmsPage(api: PublicApi, cursor: string, pageSize: number, call: CallOptions, labelOf: (jobId: string) => Promise<string>): Promise<VmsPage> {
  const [page, catalog] = await Promise.all([
    api.vms.listVms({ states: [], jobRequestId: '', pageSize, pageToken: cursor }, call),
    api.vms.listLabels({}, call),
  ]);
  const labels = new Map(await Promise.all([...new Set(page.vms.map((vm) => vm.jobRequestId))].map(async (id) => [id, await labelOf(id).catch(() => '')] as const)));
  const accelerator = (label: string, host: string) => catalog.labels.find((l) => l.host === host && (l.name === label || l.aliases.includes(label)))?.accelerator ?? '';
  return {
    vms: page.vms.map((vm) => {
      const label = labels.get(vm.jobRequestId) ?? '';
      return {
        id: vm.id, jobId: vm.jobRequestId, label, backend: backendName(vm.backend), accelerator: accelerator(label, vm.host), state: enumName(VmState, 'VM_STATE_', vm.state),
        host: vm.host, domainName: vm.domainName, createdAt: isoTime(vm.createdAt), lastEventAt: isoTime(vm.lastEventAt),
      };
    }),
    nextCursor: page.nextPageToken,
    labels: catalog.labels.map(toLabelView),
    unreachable: catalog.unreachable,
  };
}
