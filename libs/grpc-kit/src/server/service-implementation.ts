import type { Metadata } from '@grpc/grpc-js';

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** Request metadata (headers). */
  metadata: Metadata;
  /** Aborted when the client cancels or the deadline passes. */
  signal: AbortSignal;
  /** Full method path, e.g. `/jobmesh.persistence.v1.JobStoreService/GetJob`. */
  method: string;
  /**
   * Mesh identity of the caller (`orchestrator` for `URI:spiffe://jobmesh/orchestrator`), from
   * the client certificate mutual TLS verified; undefined without one (see meshIdentityOf).
   */
  readonly caller?: string;
}

type MethodShape = {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: never) => Buffer;
  requestDeserialize: (value: Buffer) => unknown;
  responseSerialize: (value: never) => Buffer;
  responseDeserialize: (value: Buffer) => unknown;
};

/** A ts-proto grpc-js service definition (e.g. `JobStoreServiceService`). */
export type ServiceDefinitionShape = { [method: string]: MethodShape };

type RequestOf<M> = M extends { requestDeserialize: (value: Buffer) => infer R } ? R : never;
type ResponseOf<M> = M extends { responseSerialize: (value: infer R) => Buffer } ? R : never;

/**
 * Promise-based handlers for a service definition: unary methods return the
 * response, server-streaming methods are async generators of responses.
 * Client- and bidi-streaming methods are not served through this adapter.
 */
export type ServiceImplementation<D extends ServiceDefinitionShape> = {
  [K in keyof D]: D[K] extends { requestStream: false; responseStream: false }
    ? (request: RequestOf<D[K]>, context: CallContext) => Promise<ResponseOf<D[K]>>
    : D[K] extends { requestStream: false; responseStream: true }
      ? (request: RequestOf<D[K]>, context: CallContext) => AsyncIterable<ResponseOf<D[K]>>
      : never;
};

/** A service to serve: its contract, its handlers, and its full name for health and reflection. */
export interface ServiceRegistration<D extends ServiceDefinitionShape = ServiceDefinitionShape> {
  /** Fully-qualified service name, e.g. `jobmesh.persistence.v1.JobStoreService`. */
  name: string;
  definition: D;
  implementation: ServiceImplementation<D>;
}

/** Ties a definition to its implementation with full type checking. */
export function defineService<D extends ServiceDefinitionShape>(
  name: string,
  definition: D,
  implementation: ServiceImplementation<D>,
): ServiceRegistration {
  return { name, definition, implementation } as unknown as ServiceRegistration;
}
