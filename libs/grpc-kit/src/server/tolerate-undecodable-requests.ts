import { invalidArgument } from '../errors/error-factories.ts';
import type { ServiceDefinitionShape } from './service-implementation.ts';

/** Stands in for a request whose bytes did not decode, so the handler adapter can refuse it. */
export class UndecodableRequest {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/**
 * Wraps each method's request decoder so bytes that are not a valid message become an
 * {@link UndecodableRequest} instead of a throw: grpc-js answers a throwing decoder with
 * INTERNAL, which tells a client the server broke when the client sent garbage.
 */
export function tolerateUndecodableRequests<D extends ServiceDefinitionShape>(definition: D): D {
  const wrapped: ServiceDefinitionShape = {};
  for (const [key, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    wrapped[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new UndecodableRequest(error);
        }
      },
    };
  }
  return wrapped as D;
}

/** @throws INVALID_ARGUMENT `MALFORMED_REQUEST` when the request did not decode */
export function refuseUndecodable(request: unknown): void {
  if (request instanceof UndecodableRequest) {
    throw invalidArgument('request', 'is not a valid protobuf message of the method\'s request type', { reason: 'MALFORMED_REQUEST', cause: request.cause });
  }
}
