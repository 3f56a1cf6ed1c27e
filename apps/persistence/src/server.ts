import { createGrpcServer, type GrpcServer, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import type { DatabasePool } from 'slonik';
import { createArtifactStoreService } from './artifacts/artifact-store-service.ts';
import type { NotificationHub } from './db/create-notification-hub.ts';
import { createFsJobStoreService } from './fs-jobs/fs-job-store-service.ts';
import { createJobStoreService } from './jobs/job-store-service.ts';
import { createJobLogStoreService } from './logs/job-log-store-service.ts';
import { createVmStoreService } from './vms/vm-store-service.ts';
import { createWorkflowStoreService } from './workflows/workflow-store-service.ts';

/** What the persistence server is built from. */
export interface PersistenceServerDeps {
  pool: DatabasePool;
  notifications: NotificationHub;
  logger: Logger;
  /** TLS of the server. @default plaintext */
  tls?: TlsOptions;
}

/** Builds the persistence gRPC server (all stores, health, reflection); no environment, no listening. */
export function createPersistenceServer({ pool, notifications, logger, tls }: PersistenceServerDeps): GrpcServer {
  return createGrpcServer({
    logger,
    tls,
    services: [
      createJobStoreService(pool, notifications),
      createJobLogStoreService({ pool, notifications }),
      createVmStoreService(pool),
      createFsJobStoreService(pool),
      createWorkflowStoreService(pool),
      createArtifactStoreService(pool),
    ],
  });
}
