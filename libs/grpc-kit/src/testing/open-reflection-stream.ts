import * as grpc from '@grpc/grpc-js';
import {
  type ServerReflectionRequest,
  type ServerReflectionResponse,
  ServerReflectionService as ReflectionV1,
} from '@jobmesh/contracts/grpc/reflection/v1/reflection.ts';
import { ServerReflectionService as ReflectionV1alpha } from '@jobmesh/contracts/grpc/reflection/v1alpha/reflection.ts';

/** Which reflection protocol to speak; grpcurl tries v1 first and falls back to v1alpha. */
export type ReflectionVersion = 'v1' | 'v1alpha';

/** One ServerReflectionInfo stream, used as request/response pairs. */
export interface ReflectionStream {
  /** Sends one request and resolves with its answer; rejects with the stream's ServiceError. */
  ask(request: Partial<ServerReflectionRequest>): Promise<ServerReflectionResponse>;
  /** Half-closes the stream, as grpcurl does when it is done. */
  close(): void;
}

/**
 * Opens the bidi stream lazily and keeps it for every request, like grpcurl: the server answers
 * in request order, so a FIFO of waiters pairs answers with questions. A broken stream rejects
 * all waiters and is reopened on the next request.
 */
export function openReflectionStream(client: grpc.Client, version: ReflectionVersion): ReflectionStream {
  const method = (version === 'v1' ? ReflectionV1 : ReflectionV1alpha).serverReflectionInfo;
  let call: grpc.ClientDuplexStream<ServerReflectionRequest, ServerReflectionResponse> | undefined;
  let waiters: { resolve: (response: ServerReflectionResponse) => void; reject: (error: Error) => void }[] = [];

  const fail = (error: Error): void => {
    call = undefined;
    const failed = waiters;
    waiters = [];
    for (const waiter of failed) waiter.reject(error);
  };
  const open = (): grpc.ClientDuplexStream<ServerReflectionRequest, ServerReflectionResponse> => {
    const opened = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    opened.on('data', (response: ServerReflectionResponse) => waiters.shift()?.resolve(response));
    opened.on('error', (error: grpc.ServiceError) => fail(error));
    opened.on('end', () => {
      if (call === opened) fail(new Error(`${method.path} ended with ${waiters.length} request(s) unanswered`));
    });
    return opened;
  };

  return {
    ask(request) {
      const full: ServerReflectionRequest = { host: '', ...request };
      return new Promise((resolve, reject) => {
        call ??= open();
        waiters.push({ resolve, reject });
        call.write(full);
      });
    },
    close() {
      call?.end();
      call = undefined;
    },
  };
}
