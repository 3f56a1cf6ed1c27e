import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { createClient, createGrpcServer, defineService, Metadata, type GrpcServer, type PromiseClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { trace } from '@opentelemetry/api';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTelemetry } from '../src/index.ts';

type Ctx = { server: GrpcServer; jobs: PromiseClient<typeof JobStoreServiceService>; seen: string[]; logLines: string[] };
const test = suite<Ctx>('lite tracing (no exporter): trace ids exist, cross gRPC calls and reach log lines, without the SDK');

const traceIdOf = (span = trace.getActiveSpan()) => span?.spanContext().traceId ?? '';

test.before(async (ctx) => {
  const telemetry = await startTelemetry({ serviceName: 'test', env: { OTEL_TRACES_EXPORTER: 'none' } });
  assert.is(telemetry.exporting, false);
  ctx.seen = [];
  ctx.logLines = [];
  const logger = createLogger('test', { sink: (line) => ctx.logLines.push(line) });
  ctx.server = createGrpcServer({
    logger,
    services: [defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, {
      // Every other method answers UNIMPLEMENTED-like errors; only this one is called.
      ...Object.fromEntries(Object.keys(JobStoreServiceService).map((key) => [key, async () => { throw new Error('not used'); }])),
      async getQueuePosition() {
        ctx.seen.push(traceIdOf());
        logger.info('in the handler');
        return { jobsAhead: 0, state: 1 as const };
      },
    } as never)],
  });
  const port = await withDeadline(ctx.server.listen('127.0.0.1:0'), 10_000, 'listen');
  ctx.server.setServing(true);
  ctx.jobs = createClient(JobStoreServiceService, `127.0.0.1:${port}`);
});
test.after(async (ctx) => {
  ctx.jobs?.close();
  await ctx.server?.shutdown(1000);
});

test('a call made inside a span continues its trace in the server, and the server logs it', async (ctx) => {
  const tracer = trace.getTracer('test');
  const caller = await tracer.startActiveSpan('caller', async (span) => {
    await withDeadline(ctx.jobs.getQueuePosition({ requestId: '00000000-0000-4000-8000-000000000000' }), 5_000, 'call');
    return traceIdOf(span);
  });
  assert.match(caller, /^[0-9a-f]{32}$/);
  assert.not.equal(caller, '0'.repeat(32));
  assert.is(ctx.seen.at(-1), caller, 'the handler runs in the caller\'s trace');
  assert.ok(ctx.logLines.some((line) => line.includes('in the handler') && line.includes(`"trace_id":"${caller}"`)), ctx.logLines.join('\n'));
});

test('a call without a trace gets a trace of its own in the server', async (ctx) => {
  const metadata = new Metadata();
  await withDeadline(ctx.jobs.getQueuePosition({ requestId: '00000000-0000-4000-8000-000000000000' }, { metadata }), 5_000, 'call');
  const seen = ctx.seen.at(-1)!;
  assert.match(seen, /^[0-9a-f]{32}$/);
  assert.not.equal(seen, '0'.repeat(32));
  // Two root calls never share a trace.
  await withDeadline(ctx.jobs.getQueuePosition({ requestId: '00000000-0000-4000-8000-000000000000' }), 5_000, 'call');
  assert.not.equal(ctx.seen.at(-1), seen);
  assert.is(metadata.get('traceparent').length, 0, 'the caller\'s Metadata object is left as it was');
});

test.run();
