import { context, trace } from '@opentelemetry/api';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { addLogFieldSource } from '@jobmesh/logger';
import { wantsExport, type Telemetry } from './start-telemetry.ts';

/** A span processor that keeps nothing: the SDK registers a tracer provider only when it has one. */
const discardSpans = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };

/**
 * Starts the NodeSDK with the gRPC instrumentation, and the pg one when spans
 * are exported. Exporters follow
 * the standard OTEL_* variables (OTLP over HTTP or gRPC); with none set,
 * nothing is exported (spans still exist, so logs and the API carry trace
 * ids). Metrics and log exporters stay off unless asked for. startTelemetry
 * calls it only when spans are exported; the other case stays for callers
 * that want the SDK regardless.
 */
export function startSdk(serviceName: string, env: NodeJS.ProcessEnv): Telemetry {
  const exporting = wantsExport(env);
  // NodeSDK reads these from process.env; set our defaults there without overriding the user's.
  if (exporting) process.env.OTEL_TRACES_EXPORTER ??= 'otlp';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    // gRPC always: it carries the trace context between services and into log lines. pg only when
    // spans leave the process: its spans are never parents of anything else, and with nothing
    // exported they were pure cost on every query (a span, attributes and a wrapper per call).
    instrumentations: exporting
      ? [new GrpcInstrumentation(), new PgInstrumentation({ enhancedDatabaseReporting: false })]
      : [new GrpcInstrumentation()],
    // No exporter asked for: still a tracer provider (so ids exist), with nothing behind it.
    ...(exporting ? {} : { spanProcessors: [discardSpans] }),
  });
  sdk.start();
  addLogFieldSource(() => {
    const span = trace.getSpan(context.active());
    const ids = span?.spanContext();
    return ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : undefined;
  });
  let stopped: Promise<void> | undefined;
  return {
    exporting,
    shutdown: () => (stopped ??= sdk.shutdown().catch(() => undefined)),
  };
}
