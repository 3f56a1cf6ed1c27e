import type { WorkflowRuntime } from '@jobmesh/durable';
import type { RepoUrlRule } from '@jobmesh/config';
import { createGrpcServer, type Authorizer, type GrpcServer, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import type { MeshClients } from './clients/create-mesh-clients.ts';
import type { QueueGate } from './jobs/create-queue-gate.ts';
import { createAdminService } from './admin/admin-service.ts';
import { createArtifactService } from './artifacts/artifact-service.ts';
import { createJobService } from './jobs/job-service.ts';
import { createOperationService } from './operations/operation-service.ts';
import { createPipelineService } from './pipelines/pipeline-service.ts';
import { createVmService } from './operations/vm-service.ts';
import type { RetentionDays } from './retention/retention-cutoffs.ts';
import type { SecretBox } from './secrets/create-secret-box.ts';

/** What the orchestrator server is built from. */
export interface OrchestratorServerDeps {
  clients: MeshClients;
  runtime: WorkflowRuntime;
  logger: Logger;
  defaultJobTimeoutMs: number;
  /** Seals secret env of submissions. */
  secrets: SecretBox;
  /** SubmitJob's queue limit. @default none */
  queueGate?: QueueGate;
  /** TLS of the public API. @default plaintext */
  tls?: TlsOptions;
  /** Bearer-token check of every public call (health and reflection stay open). @default none: open API */
  authorize?: Authorizer;
  /** Repository URLs SubmitJob accepts. @default every network scheme, no file:// */
  repoUrlRules?: readonly RepoUrlRule[];
  /** Retention AdminService/PruneHistory applies without older_than. @default 30 days for every kind */
  retentionDays?: RetentionDays;
}

const defaultRetentionDays: RetentionDays = { jobs: 30, logs: 30, artifacts: 30, vms: 30, fsJobs: 30, mirrors: 30 };

/** Builds the public API server (jobs, pipelines, operations, VMs, artifacts, health, reflection); no environment, no listening. */
export function createOrchestratorServer({ clients, runtime, logger, defaultJobTimeoutMs, secrets, queueGate, tls, authorize, repoUrlRules, retentionDays }: OrchestratorServerDeps): GrpcServer {
  return createGrpcServer({
    logger,
    tls,
    authorize,
    services: [createJobService({ clients, runtime, defaultJobTimeoutMs, secrets, queueGate, repoUrlRules }),
      createPipelineService({ clients, runtime, defaultJobTimeoutMs, secrets, repoUrlRules }), createOperationService(clients), createVmService(clients), createArtifactService(clients),
      createAdminService(clients, retentionDays ?? defaultRetentionDays)],
  });
}
