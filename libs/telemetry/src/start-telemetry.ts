import { register } from 'node:module';

/** Options of startTelemetry. */
export interface TelemetryOptions {
  /** service.name of every span, e.g. `persistence`. */
  serviceName: string;
  /** Environment to read OTEL_* from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A started SDK. */
export interface Telemetry {
  /** True when spans are exported somewhere (an OTLP endpoint or OTEL_TRACES_EXPORTER is set). */
  exporting: boolean;
  /** Flushes and stops the SDK; call before exiting (SIGTERM), or spans are lost. */
  shutdown(): Promise<void>;
}

/** True when the OTEL_* variables ask for spans to be exported. */
export function wantsExport(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts OpenTelemetry for a service. Must run before anything imports
 * grpc-js or pg.
 *
 * When spans are exported (an OTLP endpoint or OTEL_TRACES_EXPORTER is set), it registers
 * the ESM loader hook that lets the instrumentations patch grpc-js and pg, so a service's
 * main imports only this (and config) statically, then the rest of the service dynamically;
 * the SDK itself is imported after the hook for the same reason (its gRPC exporter loads
 * grpc-js). When nothing is exported, none of that loads (the hook's thread, the SDK and the
 * instrumentations took about 100 MiB per service and CPU on every call): a small tracer
 * provider keeps trace ids in logs and responses, and grpc-kit carries them between services.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const env = options.env ?? process.env;
  if (!wantsExport(env)) {
    const { startLiteTracing } = await import('./start-lite-tracing.ts');
    return startLiteTracing();
  }
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startSdk } = await import('./start-sdk.ts');
  return startSdk(options.serviceName, env);
}
