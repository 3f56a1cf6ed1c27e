import { randomFillSync } from 'node:crypto';
import {
  context, trace, TraceFlags, type Context, type Span, type SpanContext, type SpanOptions, type Tracer, type TracerProvider,
} from '@opentelemetry/api';

/** Random bytes drawn 4 KiB at a time: a span id costs a slice, not a system call. */
function createIdSource(): (bytes: 8 | 16) => string {
  const pool = Buffer.alloc(4096);
  let used = pool.length;
  const next = (bytes: 8 | 16): string => {
    if (used + bytes > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const id = pool.toString('hex', used, used + bytes);
    used += bytes;
    // All zeros is the invalid id (one draw in 2^64): draw again.
    return /^0+$/.test(id) ? next(bytes) : id;
  };
  return next;
}

/**
 * A tracer provider for a service that exports no spans: each span is a non-recording span
 * with real ids (a child of the active or given context keeps its trace id), so log lines,
 * the `jobmesh-trace-id` header and the job's trace id exist, and trace context crosses
 * services, without the SDK (a span processor, resources, exporters: about 100 MiB of RSS and
 * CPU on every call, measured in the bench's memory and mesh suites).
 */
export function createLiteTracerProvider(): TracerProvider {
  const newId = createIdSource();
  const startSpan = (_name: string, options: SpanOptions = {}, parentContext: Context = context.active()): Span => {
    const parent = options.root ? undefined : trace.getSpanContext(parentContext);
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const ids: SpanContext = {
      traceId: valid ? parent.traceId : newId(16),
      spanId: newId(8),
      // Sampled unless the parent said otherwise: a service downstream that does export records its part.
      traceFlags: valid ? parent.traceFlags : TraceFlags.SAMPLED,
    };
    return trace.wrapSpanContext(ids);
  };
  const tracer: Tracer = {
    startSpan,
    startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
      const fn = rest.pop() as F;
      const [options, parentContext] = rest as [SpanOptions | undefined, Context | undefined];
      const parent = parentContext ?? context.active();
      const span = startSpan(name, options, parent);
      return context.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
    },
  };
  return { getTracer: () => tracer };
}
