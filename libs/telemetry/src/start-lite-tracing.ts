import { context, propagation, trace } from '@opentelemetry/api';
import { addLogFieldSource } from '@jobmesh/logger';
import { createContextManager } from './create-context-manager.ts';
import { createLiteTracerProvider } from './create-lite-tracer-provider.ts';
import { createW3cPropagator } from './create-w3c-propagator.ts';
import type { Telemetry } from './start-telemetry.ts';

/**
 * Tracing when no exporter is set: trace ids and their propagation (the active span follows
 * async work; grpc-kit carries `traceparent` between services), log lines with trace and span
 * ids, and nothing else loaded: no SDK, no instrumentation, no loader hook.
 */
export function startLiteTracing(): Telemetry {
  context.setGlobalContextManager(createContextManager());
  trace.setGlobalTracerProvider(createLiteTracerProvider());
  propagation.setGlobalPropagator(createW3cPropagator());
  addLogFieldSource(() => {
    const ids = trace.getSpan(context.active())?.spanContext();
    return ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
  });
  return { exporting: false, shutdown: async () => {} };
}
