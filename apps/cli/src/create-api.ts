import { isLoopbackAddress, loadTlsConfig, serviceAddressDefaults } from '@jobmesh/config';
import { AdminServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/admin.ts';
import { ArtifactServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { OperationServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { VmServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import { createClient, Metadata } from '@jobmesh/grpc-kit';

/**
 * Clients of the public API at `JOBMESH_ADDR` (then `JOBMESH_ORCHESTRATOR_ADDR`,
 * then 127.0.0.2:50051). The CLI uses nothing else. TLS comes from the
 * JOBMESH_TLS_* variables (loadTlsConfig); `JOBMESH_TOKEN`, when set, goes
 * with every call as `authorization: Bearer <token>`. A token about to travel
 * in plaintext to an address other machines can see is warned about through `warn`.
 * @throws Error for an invalid TLS configuration
 */
export function createApi(env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = (line) => void process.stderr.write(line)) {
  const address = env.JOBMESH_ADDR || env.JOBMESH_ORCHESTRATOR_ADDR || serviceAddressDefaults.orchestrator;
  const metadata = new Metadata();
  if (env.JOBMESH_TOKEN) metadata.set('authorization', `Bearer ${env.JOBMESH_TOKEN.trim()}`);
  const options = { deadlineMs: 15_000, tls: loadTlsConfig(env, 'client'), metadata };
  if (env.JOBMESH_TOKEN && !options.tls && !isLoopbackAddress(address)) {
    warn(`jobmesh: warning: JOBMESH_TOKEN goes in plaintext to ${address}, which is not loopback: anyone on the way can read and reuse it. ` +
      'Turn TLS on (JOBMESH_TLS_CA, and the orchestrator\'s JOBMESH_TLS_CERT/KEY) or reach the API through a tunnel to 127.0.0.1.\n');
  }
  const api = {
    address,
    jobs: createClient(JobServiceService, address, options),
    operations: createClient(OperationServiceService, address, options),
    vms: createClient(VmServiceService, address, options),
    artifacts: createClient(ArtifactServiceService, address, options),
    pipelines: createClient(PipelineServiceService, address, options),
    // A prune of a long history takes minutes.
    admin: createClient(AdminServiceService, address, { ...options, deadlineMs: 600_000 }),
    close: () => [api.jobs, api.operations, api.vms, api.artifacts, api.pipelines, api.admin].forEach((c) => c.close()),
  };
  return api;
}

/** The clients, as commands take them. */
export type Api = ReturnType<typeof createApi>;
