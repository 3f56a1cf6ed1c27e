import type { WorkflowRuntime } from '@jobmesh/durable';
import { createGrpcServer, type GrpcServer } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import type { MeshClients } from './clients/create-mesh-clients.ts';
import { createJobService } from './jobs/job-service.ts';
import { createOperationService } from './operations/operation-service.ts';
import { createVmService } from './operations/vm-service.ts';

/** What the orchestrator server is built from. */
export interface OrchestratorServerDeps {
  clients: MeshClients;
  runtime: WorkflowRuntime;
  logger: Logger;
  defaultJobTimeoutMs: number;
}

/** Builds the public API server (jobs, operations, VMs, health, reflection); no environment, no listening. */
export function createOrchestratorServer({ clients, runtime, logger, defaultJobTimeoutMs }: OrchestratorServerDeps): GrpcServer {
  return createGrpcServer({
    logger,
    services: [createJobService({ clients, runtime, defaultJobTimeoutMs }), createOperationService(clients), createVmService(clients)],
  });
}
