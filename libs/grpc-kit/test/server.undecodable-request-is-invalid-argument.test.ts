import * as grpc from '@grpc/grpc-js';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createLogger } from '@jobmesh/logger';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGrpcServer, defineService, notFound, type GrpcServer } from '../src/index.ts';
import { withDeadline } from '../src/testing/index.ts';

type Ctx = { server: GrpcServer; client: grpc.Client; handled: number; logLines: string[] };
const test = suite<Ctx>('grpc-kit server: a request that does not decode is INVALID_ARGUMENT, not INTERNAL (found by the fuzz drill)');
const passThrough = (bytes: Buffer) => bytes;

test.before(async (ctx) => {
  ctx.handled = 0;
  ctx.logLines = [];
  const missing = async () => {
    ctx.handled++;
    throw notFound('VM_NOT_FOUND', 'no such vm');
  };
  ctx.server = createGrpcServer({
    logger: createLogger('test', { sink: (line) => ctx.logLines.push(line) }),
    services: [defineService('jobmesh.vmrunner.v1.VmRunnerService', VmRunnerServiceService, {
      prepare: missing, start: missing, waitReady: missing, collectOutputs: missing, readConsole: missing, stop: missing, destroy: missing, getVm: missing, listVms: missing, capacity: missing,
      async *exec() {
        ctx.handled++;
        throw notFound('VM_NOT_FOUND', 'no such vm');
      },
    } as never)],
  });
  const port = await ctx.server.listen('127.0.0.1:0');
  ctx.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});
test.after(async (ctx) => {
  ctx.client?.close();
  await ctx.server?.shutdown(1000);
});

const unary = (ctx: Ctx, path: string, bytes: Uint8Array) => withDeadline(new Promise<grpc.ServiceError | null>((resolve) => {
  ctx.client.makeUnaryRequest(path, passThrough, passThrough, Buffer.from(bytes), new grpc.Metadata(), {}, (error) => resolve(error));
}), 10_000, path);

test('bytes that are no message, and an int64 past 2^53, get INVALID_ARGUMENT MALFORMED_REQUEST; the handler never runs', async (ctx) => {
  const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]); // field 1, length far past the end
  const overflow = new BinaryWriter().tag(2, WireType.Varint).uint64(2n ** 63n - 1n).finish(); // GetVm has no field 2: skipped, fine
  const hugeTimeout = new BinaryWriter().tag(1, WireType.LengthDelimited).string('vm').tag(2, WireType.Varint).int64(2n ** 62n).finish(); // WaitReady.timeout_ms
  for (const [path, bytes] of [['/jobmesh.vmrunner.v1.VmRunnerService/GetVm', garbage], ['/jobmesh.vmrunner.v1.VmRunnerService/WaitReady', hugeTimeout]] as const) {
    const error = await unary(ctx, path, bytes);
    assert.is(error?.code, grpc.status.INVALID_ARGUMENT, `${path}: ${error?.details}`);
    assert.is(error?.metadata.get('jobmesh-reason')[0], 'MALFORMED_REQUEST');
  }
  assert.is(ctx.handled, 0, 'no handler saw an undecodable request');
  const decodable = await unary(ctx, '/jobmesh.vmrunner.v1.VmRunnerService/GetVm', overflow);
  assert.is(decodable?.code, grpc.status.NOT_FOUND, 'a decodable request still reaches its handler');
  assert.is(ctx.handled, 1);
});

test('a server stream with undecodable bytes ends INVALID_ARGUMENT too', async (ctx) => {
  const call = ctx.client.makeServerStreamRequest('/jobmesh.vmrunner.v1.VmRunnerService/Exec', passThrough, passThrough, Buffer.from([0xff, 0xff, 0xff]), new grpc.Metadata(), {});
  const code = await withDeadline(new Promise<number>((resolve) => {
    call.on('status', (s: grpc.StatusObject) => resolve(s.code));
    call.on('error', () => undefined);
    call.on('data', () => undefined);
  }), 10_000, 'exec status');
  assert.is(code, grpc.status.INVALID_ARGUMENT);
  assert.not.ok(ctx.logLines.some((l) => l.includes('unexpected error in handler')), 'nothing logged as an internal error');
});

test.run();
