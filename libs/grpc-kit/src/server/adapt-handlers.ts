import { trace } from '@opentelemetry/api';
import { Metadata } from '@grpc/grpc-js';
import type {
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '@jobmesh/logger';
import { toStatusObject } from '../errors/to-status-object.ts';
import { meshIdentityOf } from './mesh-identity-of.ts';
import { refuseUndecodable } from './tolerate-undecodable-requests.ts';
import { inCallSpan } from '../trace-context.ts';
import type { CallContext, ServiceRegistration } from './service-implementation.ts';

/**
 * Decides whether a call may reach its handler; throws a MeshError
 * (`unauthenticated`, `permissionDenied`) to refuse it. Runs inside the error
 * boundary, so the refusal reaches the client with its code and reason.
 */
export type Authorizer = (context: CallContext) => void | Promise<void>;

/** Response header carrying the trace id of the call, so a user can open it in a trace viewer. */
export const traceIdHeader = 'jobmesh-trace-id';

/** The trace id of the active span, when there is a valid one. */
function activeTraceId(): string | undefined {
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && trace.isSpanContextValid(ids) ? ids.traceId : undefined;
}

function sendTraceId(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, traceId = activeTraceId()): void {
  if (!traceId) return;
  const metadata = new Metadata();
  metadata.set(traceIdHeader, traceId);
  call.sendMetadata(metadata);
}

/**
 * The context of a call and `finish`, to call once the handler answered. grpc-js emits
 * 'cancelled' when the stream closes, also after a call that ended normally, so a
 * finished call ignores it; the AbortController is made only when a handler reads
 * `signal` (most unary handlers never do): both cost tens of µs per call.
 */
function contextOf(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, method: string): { context: CallContext; finish(): void } {
  let controller: AbortController | undefined;
  let cancelled = false;
  let finished = false;
  const reason = () => new Error('call cancelled by the client or its deadline');
  call.on('cancelled', () => {
    if (finished || cancelled) return;
    cancelled = true;
    controller?.abort(reason());
  });
  const context: CallContext = {
    metadata: call.metadata,
    method,
    // Read on demand: only servers under mutual TLS with a caller authorizer ask.
    get caller() {
      return meshIdentityOf(call.getAuthContext().sslPeerCertificate);
    },
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (cancelled) controller.abort(reason());
      }
      return controller.signal;
    },
  };
  return { context, finish: () => void (finished = true) };
}

/**
 * Resolves on the call's next 'drain' or when `signal` aborts, whichever comes first, and
 * leaves no listener behind: grpc-js never emits 'drain' on a cancelled call, so a handler
 * waiting for it alone stayed suspended (its generator, subscriptions and job output with it).
 */
function drainedOrAborted(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function writeAll(call: ServerWritableStream<unknown, unknown>, messages: AsyncIterable<unknown>, signal: AbortSignal): Promise<void> {
  // Leaving the loop (return) calls the generator's return(): its finally blocks run.
  for await (const message of messages) {
    if (signal.aborted) return;
    // Respect backpressure so a slow reader cannot make the server buffer without bound.
    if (!call.write(message)) await drainedOrAborted(call, signal);
    if (signal.aborted) return;
  }
}

/**
 * Wraps promise-based handlers into grpc-js handlers. This is the server's one
 * error boundary: whatever a handler (or `authorize`, checked first) throws
 * goes through toStatusObject.
 */
export function adaptHandlers(registration: ServiceRegistration, logger: Logger, authorize?: Authorizer): UntypedServiceImplementation {
  const adapted: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(registration.definition)) {
    const handler = (registration.implementation as Record<string, Function>)[key];
    if (typeof handler !== 'function') throw new Error(`${registration.name}: no handler for ${key}`);
    if (!method.requestStream && !method.responseStream) {
      adapted[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => inCallSpan(call.metadata, method.path, () => {
        const { context, finish } = contextOf(call, method.path);
        // The header goes out with the response, in the same write: sent up front, it cost every
        // call a second packet and a second wake-up of the client while the handler ran.
        const traceId = activeTraceId();
        Promise.resolve()
          .then(() => authorize?.(context))
          .then(() => refuseUndecodable(call.request))
          .then(() => handler(call.request, context))
          .then(
            (response) => {
              finish();
              sendTraceId(call, traceId);
              callback(null, response);
            },
            (error) => {
              finish();
              sendTraceId(call, traceId);
              callback(toStatusObject(error, logger, method.path));
            },
          );
      });
    } else if (!method.requestStream && method.responseStream) {
      adapted[key] = (call: ServerWritableStream<unknown, unknown>) => inCallSpan(call.metadata, method.path, () => {
        const { context } = contextOf(call, method.path);
        sendTraceId(call);
        Promise.resolve()
          .then(() => authorize?.(context))
          .then(() => refuseUndecodable(call.request))
          .then(() => writeAll(call, handler(call.request, context), context.signal))
          .then(
            () => call.end(),
            (error) => {
              if (!context.signal.aborted) call.emit('error', toStatusObject(error, logger, method.path));
            },
          );
      });
    } else {
      throw new Error(`${registration.name}.${key}: client and bidi streaming are not served by adaptHandlers`);
    }
  }
  return adapted;
}
