import type { PrepareRequest } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/**
 * Prepares the job's VM on the first vm-runner with a free slot of its label,
 * trying the one the scheduler picked first, then the others of the same VM
 * host (those sharing its fsops, where the workspace is) in address order. A replay of this step after a crash first looks for a VM already
 * made under the same key on any vm-runner (a runner that was full the first
 * time may have a slot now), so a job never gets a second VM.
 * @throws RESOURCE_EXHAUSTED when every vm-runner is full (the step retries)
 */
export async function placeVm(clients: MeshClients, preferred: string, request: Omit<PrepareRequest, 'env'> & { env: Record<string, string> }): Promise<{ vmId: string; runner: string }> {
  // Only vm-runners of the preferred one's host: the job's workspace is on that host's fsops.
  const candidates = clients.vmRunners.has(preferred) ? clients.sameHostRunners(preferred) : [...clients.vmRunners.keys()];
  const others = candidates.filter((a) => a !== preferred).sort();
  const order = clients.vmRunners.has(preferred) ? [preferred, ...others] : others;
  if (order.length > 1) {
    for (const runner of order) {
      const { vms } = await clients.vmRunnerAt(runner).listVms({ states: [], key: request.key, jobRequestId: '', pageSize: 1, pageToken: '' });
      const made = vms.find((vm) => vm.key === request.key);
      if (made) return { vmId: made.id, runner };
    }
  }
  let full: unknown;
  for (const runner of order) {
    try {
      const { vm } = await clients.vmRunnerAt(runner).prepare(request as PrepareRequest);
      return { vmId: vm!.id, runner };
    } catch (error) {
      if (!isMeshError(error, status.RESOURCE_EXHAUSTED)) throw error;
      full = error;
    }
  }
  throw full;
}
