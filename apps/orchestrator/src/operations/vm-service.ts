import { VmServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import { defineService } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** jobmesh.orchestrator.v1.VmService: the VMs persistence recorded, for people and the CLI. */
export function createVmService(clients: MeshClients) {
  return defineService('jobmesh.orchestrator.v1.VmService', VmServiceService, {
    async listVms(request) {
      const page = await clients.vms.listVms({ states: request.states, jobRequestId: request.jobRequestId, host: '', pageSize: request.pageSize, pageToken: request.pageToken });
      return {
        vms: page.vms.map((vm) => ({ id: vm.requestId, jobRequestId: vm.jobRequestId, domainName: vm.domainName, backend: vm.backend, state: vm.state, host: vm.host, createdAt: vm.createdAt, lastEventAt: vm.lastEventAt })),
        nextPageToken: page.nextPageToken,
      };
    },
  });
}
