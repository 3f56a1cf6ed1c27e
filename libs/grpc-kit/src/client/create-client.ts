import { Client, Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import { fromServiceError } from '../errors/from-service-error.ts';
import type { ServiceDefinitionShape } from '../server/service-implementation.ts';
import { tlsChannelOptions, toChannelCredentials, type TlsOptions } from '../tls/tls-credentials.ts';
import { isIdempotentMethod } from './method-idempotency.ts';
import { withTraceContext } from '../trace-context.ts';
import { keepaliveChannelOptions, type KeepaliveOptions } from '../keepalive-options.ts';

/** Per-call options. */
export interface CallOptions {
  /** Deadline of this call in milliseconds from now. @default the client's deadlineMs */
  deadlineMs?: number;
  /** Metadata (headers) to send. */
  metadata?: Metadata;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options of createClient, with their defaults; keepalive pings while calls are in flight (see keepaliveChannelOptions). */
export interface ClientOptions extends KeepaliveOptions {
  /** Deadline of every unary call, in ms. @default 10000 */
  deadlineMs?: number;
  /** Deadline of every server stream, in ms; 0 = none (follow streams live until the server ends them). @default 0 */
  streamDeadlineMs?: number;
  /** Attempts of an idempotent call that fails UNAVAILABLE. @default 4 */
  maxAttempts?: number;
  /** First retry backoff, doubled each time, with jitter. @default 100 */
  initialBackoffMs?: number;
  /** Largest backoff. @default 2000 */
  maxBackoffMs?: number;
  /** Largest message received or sent. @default 16 MiB */
  maxMessageBytes?: number;
  /** TLS towards the server (with a client certificate when certFile is set); unset = plaintext. @default undefined */
  tls?: TlsOptions;
  /** Metadata sent with every call, before the call's own (e.g. `authorization`). @default none */
  metadata?: Metadata;
}

type RequestOf<M> = M extends { requestSerialize: (value: infer R) => Buffer } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;

/** A promise client: unary methods resolve the response, server streams are async iterables. */
export type PromiseClient<D extends ServiceDefinitionShape> = {
  [K in keyof D]: D[K] extends { requestStream: false; responseStream: false }
    ? (request: RequestOf<D[K]>, options?: CallOptions) => Promise<ResponseOf<D[K]>>
    : D[K] extends { requestStream: false; responseStream: true }
      ? (request: RequestOf<D[K]>, options?: CallOptions) => AsyncIterable<ResponseOf<D[K]>>
      : never;
} & { close(): void };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates a client for a ts-proto service definition. Every unary call has a
 * deadline; calls that fail UNAVAILABLE are retried with exponential backoff
 * only when the contract declares the method idempotent, and never past the
 * deadline. Errors come back as MeshError (fromServiceError).
 * @throws Error when a TLS file in `options.tls` cannot be read
 */
export function createClient<D extends ServiceDefinitionShape>(
  definition: D,
  address: string,
  options: ClientOptions = {},
): PromiseClient<D> {
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const client = new Client(address, toChannelCredentials(options.tls), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...keepaliveChannelOptions(options),
    ...tlsChannelOptions(options.tls),
  });
  // A copy per call: the trace context goes into it, never into the caller's Metadata object.
  const metadataOf = (callOptions: CallOptions): Metadata => {
    const merged = options.metadata?.clone() ?? callOptions.metadata?.clone() ?? new Metadata();
    if (options.metadata && callOptions.metadata) merged.merge(callOptions.metadata);
    return withTraceContext(merged);
  };
  const deadlineMs = options.deadlineMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const initialBackoffMs = options.initialBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 2000;
  const result: Record<string, unknown> = { close: () => client.close() };

  for (const [key, method] of Object.entries(definition)) {
    const serialize = method.requestSerialize as (value: unknown) => Buffer;
    const deserialize = method.responseDeserialize as (value: Buffer) => unknown;
    if (!method.requestStream && !method.responseStream) {
      const retryable = isIdempotentMethod(method.path);
      const once = (request: unknown, deadline: Date, callOptions: CallOptions) =>
        new Promise<unknown>((resolve, reject) => {
          const signal = callOptions.signal;
          // Removed when the call ends: a long-lived signal (a workflow's) serves thousands of calls.
          const abort = () => call.cancel();
          let ended = false;
          const call = client.makeUnaryRequest(method.path, serialize, deserialize, request,
            metadataOf(callOptions), { deadline }, (error, response) => {
              ended = true;
              signal?.removeEventListener('abort', abort);
              if (error) reject(error);
              else resolve(response);
            });
          if (signal?.aborted) call.cancel();
          else if (!ended) signal?.addEventListener('abort', abort, { once: true });
        });
      result[key] = async (request: unknown, callOptions: CallOptions = {}) => {
        const deadline = new Date(Date.now() + (callOptions.deadlineMs ?? deadlineMs));
        for (let attempt = 1; ; attempt++) {
          try {
            return await once(request, deadline, callOptions);
          } catch (error) {
            const code = (error as { code?: number }).code;
            const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
            const canRetry = retryable && code === status.UNAVAILABLE && attempt < maxAttempts && !callOptions.signal?.aborted;
            if (!canRetry || Date.now() + backoff >= deadline.getTime()) throw fromServiceError(error);
            await sleep(backoff);
          }
        }
      };
    } else if (!method.requestStream && method.responseStream) {
      result[key] = (request: unknown, callOptions: CallOptions = {}) => ({
        async *[Symbol.asyncIterator]() {
          const streamDeadlineMs = callOptions.deadlineMs ?? options.streamDeadlineMs ?? 0;
          const call: ClientReadableStream<unknown> = client.makeServerStreamRequest(method.path, serialize, deserialize,
            request, metadataOf(callOptions),
            streamDeadlineMs > 0 ? { deadline: new Date(Date.now() + streamDeadlineMs) } : {});
          const abort = () => call.cancel();
          callOptions.signal?.addEventListener('abort', abort, { once: true });
          try {
            for await (const message of call) yield message;
          } catch (error) {
            throw fromServiceError(error);
          } finally {
            callOptions.signal?.removeEventListener('abort', abort);
            call.cancel();
          }
        },
      });
    }
  }
  return result as PromiseClient<D>;
}
