import type * as grpc from '@grpc/grpc-js';
import {
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionService as ReflectionV1,
} from '@jobmesh/contracts/grpc/reflection/v1/reflection.ts';
import { ServerReflectionService as ReflectionV1alpha } from '@jobmesh/contracts/grpc/reflection/v1alpha/reflection.ts';
import { answerReflectionRequest } from './answer-reflection-request.ts';
import type { ReflectionIndex } from './create-reflection-index.ts';

/** Fully-qualified names of the two reflection services this module registers. */
export const reflectionServiceNames = [
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
] as const;

/**
 * Registers `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha` on a grpc-js
 * server, answering from raw file descriptors so grpcurl can list, describe and call.
 *
 * @param server - the server to register on, before it starts.
 * @param index - built by `createReflectionIndex` from the contracts' descriptor set.
 * @param serviceNames - fully-qualified names of the services the server implements; list_services
 *   returns them plus the reflection services themselves.
 * @throws Error when a name is absent from the index: grpcurl would list it and then fail to describe it.
 */
export function addReflectionService(server: grpc.Server, index: ReflectionIndex, serviceNames: string[]): void {
  const listed = [...new Set([...serviceNames, ...reflectionServiceNames])];
  const missing = listed.filter((name) => index.fileOfSymbol(name) === undefined);
  if (missing.length > 0) {
    throw new Error(`reflection cannot describe ${missing.join(', ')}: not in the descriptor set`);
  }

  const serverReflectionInfo = (
    call: grpc.ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>,
  ): void => {
    call.on('data', (request: ServerReflectionRequest) => {
      call.write(answerReflectionRequest(index, listed, request));
    });
    call.on('end', () => call.end());
    // A client that goes away mid-stream is normal (grpcurl cancels when done); nothing to clean up.
    call.on('error', () => undefined);
  };

  // The v1alpha messages are field-for-field identical to v1, so one handler serves both.
  server.addService(ReflectionV1, { serverReflectionInfo });
  server.addService(ReflectionV1alpha, { serverReflectionInfo });
}
