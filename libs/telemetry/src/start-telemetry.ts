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

/**
 * Starts OpenTelemetry for a service. Must run before anything imports
 * grpc-js or pg: it registers the ESM loader hook that lets the
 * instrumentations patch them, so a service's main imports only this (and
 * config) statically, then the rest of the service dynamically. The SDK
 * itself is imported after the hook for the same reason (its gRPC exporter
 * loads grpc-js).
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { startSdk } = await import('./start-sdk.ts');
  return startSdk(options.serviceName, options.env ?? process.env);
}
