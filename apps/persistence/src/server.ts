import { createCallerAuthorizer, createGrpcServer, type GrpcServer, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import type { DatabasePool } from 'slonik';
import { createArtifactStoreService } from './artifacts/artifact-store-service.ts';
import type { NotificationHub } from './db/create-notification-hub.ts';
import { createFsJobStoreService } from './fs-jobs/fs-job-store-service.ts';
import { createJobStoreService } from './jobs/job-store-service.ts';
import { createJobLogStoreService } from './logs/job-log-store-service.ts';
import { createPipelineStoreService } from './pipelines/pipeline-store-service.ts';
import { createRetentionStoreService } from './retention/retention-store-service.ts';
import { createVmStoreService } from './vms/vm-store-service.ts';
import { createWorkflowStoreService } from './workflows/workflow-store-service.ts';

/** What the persistence server is built from. */
export interface PersistenceServerDeps {
  pool: DatabasePool;
  notifications: NotificationHub;
  logger: Logger;
  /** TLS of the server; with `clientAuth`, only persistenceCallers are served (others PERMISSION_DENIED). @default plaintext */
  tls?: TlsOptions;
}

/** Mesh identities (client certificates) persistence serves under mutual TLS: the three services that record state. */
export const persistenceCallers = ['orchestrator', 'vm-runner', 'fsops'] as const;

/** Builds the persistence gRPC server (all stores, health, reflection); no environment, no listening. */
export function createPersistenceServer({ pool, notifications, logger, tls }: PersistenceServerDeps): GrpcServer {
  return createGrpcServer({
    logger,
    tls,
    authorize: tls?.clientAuth ? createCallerAuthorizer(persistenceCallers) : undefined,
    services: [
      createJobStoreService(pool, notifications),
      createJobLogStoreService({ pool, notifications }),
      createVmStoreService(pool),
      createFsJobStoreService(pool),
      createWorkflowStoreService(pool, { notifications }),
      createArtifactStoreService(pool),
      createRetentionStoreService(pool),
      createPipelineStoreService(pool),
    ],
  });
}
