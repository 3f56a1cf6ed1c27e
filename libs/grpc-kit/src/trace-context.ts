import { Metadata } from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

const setter: TextMapSetter<Metadata> = { set: (metadata, key, value) => metadata.set(key, value) };
const getter: TextMapGetter<Metadata> = {
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length ? String(values[0]) : undefined;
  },
  keys: (metadata) => Object.keys(metadata.getMap()),
};
const tracer = trace.getTracer('jobmesh.grpc-kit');

/**
 * Adds the active trace context (`traceparent`) to a call's metadata, unless it has one. Where
 * the OpenTelemetry gRPC instrumentation runs (spans exported) it sets the header itself, from
 * its client span, and wins; without it this is what keeps one job one trace across services.
 */
export function withTraceContext(metadata: Metadata): Metadata {
  if (metadata.get('traceparent').length === 0) propagation.inject(context.active(), metadata, setter);
  return metadata;
}

/**
 * Runs a handler in a server span that continues the caller's trace (its `traceparent`), so
 * log lines, the trace-id header and further calls carry it. When a span is active already
 * (the gRPC instrumentation made one: spans are exported) the handler runs as it is.
 */
export function inCallSpan<T>(metadata: Metadata, path: string, run: () => T): T {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active)) return run();
  const parent = propagation.extract(ROOT_CONTEXT, metadata, getter);
  const span = tracer.startSpan(`grpc.${path.slice(1)}`, { kind: SpanKind.SERVER }, parent);
  // The lite tracer's spans record nothing, so ending them at once loses nothing.
  span.end();
  return context.with(trace.setSpan(parent, span), run);
}
