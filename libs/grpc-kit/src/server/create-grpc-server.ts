import { Server, type ServiceDefinition } from '@grpc/grpc-js';
import { readContractIndex, readDescriptorSet } from '@jobmesh/contracts/descriptor-set';
import type { Logger } from '@jobmesh/logger';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { addReflectionService } from '../reflection/add-reflection-service.ts';
import { toServerCredentials, type TlsOptions } from '../tls/tls-credentials.ts';
import { keepaliveChannelOptions, type KeepaliveOptions } from '../keepalive-options.ts';
import { adaptHandlers, type Authorizer } from './adapt-handlers.ts';
import { tolerateUndecodableRequests } from './tolerate-undecodable-requests.ts';
import type { ServiceRegistration } from './service-implementation.ts';

/** Largest message a server accepts or sends by default: 16 MiB. */
export const defaultMaxMessageBytes = 16 * 1024 * 1024;

/** Options of createGrpcServer; keepalive pings go to every client connection (see keepaliveChannelOptions). */
export interface GrpcServerOptions extends KeepaliveOptions {
  services: ServiceRegistration[];
  logger: Logger;
  /** Largest message received or sent. @default 16 MiB */
  maxMessageBytes?: number;
  /** TLS (mutual when `clientAuth`); unset = plaintext. @default undefined */
  tls?: TlsOptions;
  /**
   * Checked before every handler of `services` (not health or reflection, which
   * stay open); throws a MeshError (UNAUTHENTICATED, PERMISSION_DENIED) to refuse.
   * @default undefined: every call is let through
   */
  authorize?: Authorizer;
}

/** A gRPC server with health and reflection, ready to listen. */
export interface GrpcServer {
  readonly server: Server;
  /**
   * Binds `host:port` (port 0 picks a free one) with the server's TLS, if any, and resolves the bound port.
   * @throws Error when the address cannot be bound or a TLS file cannot be read
   */
  listen(address: string): Promise<number>;
  /** Sets the health status of the whole server and of every service. */
  setServing(serving: boolean): void;
  /**
   * Sets the health status of one extra name, e.g. `jobmesh.dependency.persistence`
   * while records to persistence are buffered, without taking the server out of service.
   */
  setStatus(name: string, serving: boolean): void;
  /** Marks NOT_SERVING, lets calls in flight finish for up to `graceMs`, then cuts the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Builds a server serving `services` (promise handlers, one error boundary),
 * `grpc.health.v1.Health` (all NOT_SERVING until setServing(true)) and server
 * reflection v1 and v1alpha over the complete descriptor set of the contracts.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const server = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...keepaliveChannelOptions(options),
  });
  const names = options.services.map((s) => s.name);
  const health = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, 'NOT_SERVING'])));
  health.addToServer(server);
  for (const registration of options.services) {
    server.addService(tolerateUndecodableRequests(registration.definition) as unknown as ServiceDefinition, adaptHandlers(registration, options.logger, options.authorize));
  }
  // The descriptor set is decoded only when a client asks for reflection (grpcurl): @bufbuild/protobuf's
  // reflection and the decoded set cost every server tens of MiB it would otherwise never use.
  addReflectionService(server, {
    serviceNames: readContractIndex().services,
    load: async () => (await import('../reflection/create-reflection-index.ts')).createReflectionIndex(readDescriptorSet()),
  }, [...names, 'grpc.health.v1.Health']);

  const setServing = (serving: boolean) => {
    const value: ServingStatus = serving ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', ...names]) health.setStatus(name, value);
  };

  return {
    server,
    setServing,
    setStatus: (name, serving) => health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING'),
    listen: (address) =>
      new Promise((resolve, reject) => {
        // Read at listen, not at construction, so a bad file fails start-up where the address does.
        const credentials = toServerCredentials(options.tls);
        server.bindAsync(address, credentials, (error, port) =>
          error ? reject(new Error(`cannot listen on ${address}: ${error.message}`, { cause: error })) : resolve(port),
        );
      }),
    shutdown: (graceMs = 10_000) =>
      new Promise((resolve) => {
        setServing(false);
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
