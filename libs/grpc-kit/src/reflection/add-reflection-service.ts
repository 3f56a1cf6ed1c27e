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

/** An index built on first use: the services it holds are known up front, the index itself is loaded when a client asks. */
export interface LazyReflectionIndex {
  /** Fully-qualified names of every service the index will hold. */
  readonly serviceNames: readonly string[];
  load(): Promise<ReflectionIndex>;
}

/**
 * Registers `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha` on a grpc-js
 * server, answering from raw file descriptors so grpcurl can list, describe and call.
 *
 * @param server - the server to register on, before it starts.
 * @param source - built by `createReflectionIndex` from the contracts' descriptor set, or one
 *   loaded at the first reflection call (a service that is never asked never decodes the set).
 * @param serviceNames - fully-qualified names of the services the server implements; list_services
 *   returns them plus the reflection services themselves.
 * @throws Error when a name is absent from the index: grpcurl would list it and then fail to describe it.
 */
export function addReflectionService(server: grpc.Server, source: ReflectionIndex | LazyReflectionIndex, serviceNames: string[]): void {
  const listed = [...new Set([...serviceNames, ...reflectionServiceNames])];
  const lazy = 'load' in source ? source : undefined;
  const missing = listed.filter((name) => (lazy ? !lazy.serviceNames.includes(name) : (source as ReflectionIndex).fileOfSymbol(name) === undefined));
  if (missing.length > 0) {
    throw new Error(`reflection cannot describe ${missing.join(', ')}: not in the descriptor set`);
  }
  let loaded: Promise<ReflectionIndex> | undefined;
  const index = () => (lazy ? (loaded ??= lazy.load()) : Promise.resolve(source as ReflectionIndex));

  const serverReflectionInfo = (
    call: grpc.ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>,
  ): void => {
    // Answers in request order, each once the index is there.
    let answered = Promise.resolve();
    call.on('data', (request: ServerReflectionRequest) => {
      answered = answered.then(() => index()).then((ready) => void call.write(answerReflectionRequest(ready, listed, request)), (error: unknown) => {
        call.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
    call.on('end', () => void answered.then(() => call.end()));
    // A client that goes away mid-stream is normal (grpcurl cancels when done); nothing to clean up.
    call.on('error', () => undefined);
  };

  // The v1alpha messages are field-for-field identical to v1, so one handler serves both.
  server.addService(ReflectionV1, { serverReflectionInfo });
  server.addService(ReflectionV1alpha, { serverReflectionInfo });
}
