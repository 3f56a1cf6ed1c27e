export { MeshError, isMeshError } from './errors/mesh-error.ts';
export type { MeshErrorOptions, StatusCode } from './errors/mesh-error.ts';
export {
  aborted,
  alreadyExists,
  deadlineExceeded,
  failedPrecondition,
  invalidArgument,
  notFound,
  outOfRange,
  permissionDenied,
  resourceExhausted,
  unauthenticated,
  unavailable,
} from './errors/error-factories.ts';
export { toStatusObject, reasonKey, fieldKey } from './errors/to-status-object.ts';
export { fromServiceError } from './errors/from-service-error.ts';
export { createGrpcServer, defaultMaxMessageBytes } from './server/create-grpc-server.ts';
export type { GrpcServer, GrpcServerOptions } from './server/create-grpc-server.ts';
export { defineService } from './server/service-implementation.ts';
export type { CallContext, ServiceImplementation, ServiceRegistration } from './server/service-implementation.ts';
export type { Authorizer } from './server/adapt-handlers.ts';
export { createCallerAuthorizer } from './server/create-caller-authorizer.ts';
export { meshIdentityOf, meshIdentityPrefix } from './server/mesh-identity-of.ts';
export { toChannelCredentials, toServerCredentials } from './tls/tls-credentials.ts';
export type { TlsOptions } from './tls/tls-credentials.ts';
export { onShutdownSignal } from './server/on-shutdown-signal.ts';
export { createClient } from './client/create-client.ts';
export type { CallOptions, ClientOptions, PromiseClient } from './client/create-client.ts';
export { isIdempotentMethod } from './client/method-idempotency.ts';
export { defaultKeepaliveTimeMs, defaultKeepaliveTimeoutMs, keepaliveChannelOptions } from './keepalive-options.ts';
export type { KeepaliveOptions } from './keepalive-options.ts';
export { status, Metadata } from '@grpc/grpc-js';
export { addReflectionService, reflectionServiceNames } from './reflection/add-reflection-service.ts';
