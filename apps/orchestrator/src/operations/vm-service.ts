import { VmServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import { defineService, invalidArgument, isMeshError, notFound, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** jobmesh.orchestrator.v1.VmService: the VMs persistence recorded, their consoles and the labels vm-runners offer, for people and the CLI. */
export function createVmService(clients: MeshClients) {
  return defineService('jobmesh.orchestrator.v1.VmService', VmServiceService, {
    async listVms(request) {
      const page = await clients.vms.listVms({ states: request.states, jobRequestId: request.jobRequestId, host: '', pageSize: request.pageSize, pageToken: request.pageToken });
      return {
        vms: page.vms.map((vm) => ({ id: vm.requestId, jobRequestId: vm.jobRequestId, domainName: vm.domainName, backend: vm.backend, state: vm.state, host: vm.host, createdAt: vm.createdAt, lastEventAt: vm.lastEventAt })),
        nextPageToken: page.nextPageToken,
      };
    },

    async getVmConsole(request) {
      if (!uuid.test(request.vmId)) throw invalidArgument('vm_id', request.vmId ? 'must be a lower-case UUID' : 'is required');
      if (!Number.isInteger(request.maxBytes) || request.maxBytes < 0 || request.maxBytes > 1024 * 1024) throw invalidArgument('max_bytes', 'must be 0 (the default, 16384) to 1048576');
      // The vm-runner that made the VM holds its console: ask each until one knows it; one that is
      // away does not stop the search, but if none knew the VM it is what the caller hears.
      let away: unknown;
      for (const [address, runner] of clients.vmRunners) {
        try {
          const console = await runner.readConsole({ vmId: request.vmId, maxBytes: request.maxBytes });
          const host = await runner.capacity({}).then((c) => c.host, () => address);
          return { vmId: request.vmId, host, text: console.text, truncated: console.truncated };
        } catch (error) {
          if (!isMeshError(error, status.NOT_FOUND)) away ??= error;
        }
      }
      if (away) throw away;
      throw notFound('VM_NOT_FOUND', `no vm-runner holds vm ${request.vmId}`, { field: 'vm_id' });
    },

    async listLabels() {
      const reports = await Promise.all([...clients.vmRunners].map(async ([address, runner]) => {
        try {
          return { address, capacity: await runner.capacity({}) };
        } catch (error) {
          return { address, error: messageOf(error) };
        }
      }));
      return {
        labels: reports.flatMap((r) => (r.capacity?.labels ?? []).map((l) => ({
          name: l.label, aliases: l.aliases, host: r.capacity!.host, backend: l.backend, slotsTotal: l.slotsTotal, slotsInUse: l.slotsInUse,
          unavailableReason: l.unavailableReason, accelerator: l.accelerator, acceleratorReason: l.acceleratorReason,
        }))),
        unreachable: reports.flatMap((r) => (r.error !== undefined ? [`${r.address}: ${r.error}`] : [])),
      };
    },
  });
}
