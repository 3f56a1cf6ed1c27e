import { trace, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';

const header = 'traceparent';
const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` header (version 00), without tracestate: what the services pass to each other. */
export function createW3cPropagator(): TextMapPropagator {
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter) {
      const ids = trace.getSpanContext(ctx);
      if (!ids || !trace.isSpanContextValid(ids)) return;
      setter.set(carrier, header, `00-${ids.traceId}-${ids.spanId}-0${(ids.traceFlags & 1).toString(16)}`);
    },
    extract(ctx: Context, carrier: unknown, getter: TextMapGetter) {
      const raw = getter.get(carrier, header);
      const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
      const match = value ? pattern.exec(value) : null;
      if (!match) return ctx;
      const ids = { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) & 1, isRemote: true };
      return trace.isSpanContextValid(ids) ? trace.setSpanContext(ctx, ids) : ctx;
    },
    fields: () => [header],
  };
}
