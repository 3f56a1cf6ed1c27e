import { ArtifactServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { OperationServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { VmServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import { createClient, type TlsOptions } from '@jobmesh/grpc-kit';

/**
 * Clients of the orchestrator's public API: the only thing the console talks to (like the
 * CLI). They carry no token of their own: each call gets the browser's bearer token in its
 * CallOptions, so the orchestrator decides what every caller may do.
 * @throws Error for an unreadable TLS file
 */
export function createPublicApi(address: string, tls?: TlsOptions) {
  const options = { deadlineMs: 15_000, tls };
  const api = {
    address,
    jobs: createClient(JobServiceService, address, options),
    operations: createClient(OperationServiceService, address, options),
    vms: createClient(VmServiceService, address, options),
    artifacts: createClient(ArtifactServiceService, address, options),
    pipelines: createClient(PipelineServiceService, address, options),
    close: () => [api.jobs, api.operations, api.vms, api.artifacts, api.pipelines].forEach((client) => client.close()),
  };
  return api;
}

/** The public API clients, as routes take them. */
export type PublicApi = ReturnType<typeof createPublicApi>;
