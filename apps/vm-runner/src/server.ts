import { createCallerAuthorizer, createGrpcServer, type GrpcServer, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createVmRunnerService, type VmRunnerServiceDeps } from './vms/vm-runner-service.ts';

/** What the vm-runner server is built from. */
export interface VmRunnerServerDeps extends VmRunnerServiceDeps {
  logger: Logger;
  /** TLS of the server; with `clientAuth`, only vmRunnerCallers are served (others PERMISSION_DENIED). @default plaintext */
  tls?: TlsOptions;
}

/** Mesh identities (client certificates) vm-runner serves under mutual TLS: only the orchestrator runs VMs. */
export const vmRunnerCallers = ['orchestrator'] as const;

/** Health name that is NOT_SERVING while VM events cannot reach persistence (the service still serves). */
export const persistenceDependencyHealthName = 'jobmesh.dependency.persistence';

/** Builds the vm-runner gRPC server (VmRunnerService, health, reflection); no environment, no listening. */
export function createVmRunnerServer(deps: VmRunnerServerDeps): GrpcServer {
  return createGrpcServer({
    logger: deps.logger,
    tls: deps.tls,
    authorize: deps.tls?.clientAuth ? createCallerAuthorizer(vmRunnerCallers) : undefined,
    services: [createVmRunnerService(deps)],
  });
}
