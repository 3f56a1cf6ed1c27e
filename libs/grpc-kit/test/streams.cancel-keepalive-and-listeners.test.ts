import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { createLogger } from '@jobmesh/logger';
import { getEventListeners } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient, createGrpcServer, defineService, status, type GrpcServer } from '../src/index.ts';
import { withDeadline } from '../src/testing/index.ts';

/** What the FollowLog handler of the test server saw. */
interface Seen {
  /** Calls whose generator ran its finally (ended, however). */
  ended: number;
  /** Calls whose signal aborted. */
  aborted: number;
}

type Ctx = { server: GrpcServer; port: number; seen: Seen; proxy: FreezingProxy };
const test = suite<Ctx>('grpc-kit streams: cancel while waiting for drain, keepalive, no listener left');

const chunk = (requestId: string, seq: number, bytes: number) => ({ requestId, seq, stream: 1 as const, data: Buffer.alloc(bytes, 97), createdAt: undefined });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms: number, what: string): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

/** A TCP proxy that can be frozen: it then drops every byte both ways but keeps the sockets open (a half-open peer). */
interface FreezingProxy {
  port: number;
  freeze(): void;
  close(): void;
}

async function startFreezingProxy(targetPort: number): Promise<FreezingProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const [from, to] of [[inbound, outbound], [outbound, inbound]] as const) {
      sockets.add(from);
      from.on('data', (data) => void (frozen || to.write(data)));
      from.on('error', () => undefined);
      from.on('close', () => void (frozen || to.destroy()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

test.before(async (ctx) => {
  ctx.seen = { ended: 0, aborted: 0 };
  ctx.server = createGrpcServer({
    logger: createLogger('test', { level: 'error' }),
    keepaliveTimeMs: 500,
    keepaliveTimeoutMs: 500,
    services: [
      defineService('jobmesh.persistence.v1.JobLogStoreService', JobLogStoreServiceService, {
        async appendLogChunks(_request, context) {
          return { appended: getEventListeners(context.signal, 'abort').length, duplicates: 0 };
        },
        async readLog() { return { chunks: [], nextSeq: 0, complete: true, hasMore: false }; },
        async *followLog(request, context) {
          context.signal.addEventListener('abort', () => void ctx.seen.aborted++, { once: true });
          try {
            if (request.fromSeq === 0) {
              // "big": 4 MiB messages for ever, far more than any socket buffer holds.
              for (let seq = 0; ; seq++) yield { chunks: [chunk(request.requestId, seq, 4 * 1024 * 1024)] };
            }
            // "quiet": one small message, then nothing until the call ends (a job that prints nothing).
            yield { chunks: [chunk(request.requestId, 0, 10)] };
            await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
          } finally {
            ctx.seen.ended++;
          }
        },
      }),
    ],
  });
  ctx.port = await ctx.server.listen('127.0.0.1:0');
  ctx.server.setServing(true);
  ctx.proxy = await startFreezingProxy(ctx.port);
});
test.after(async (ctx) => {
  ctx.proxy?.close();
  await ctx.server?.shutdown(100);
});

const request = (fromSeq: number) => ({ requestId: '00000000-0000-4000-8000-000000000001', fromSeq });

test('a stream blocked on a slow reader ends when the client cancels: the handler is not left waiting for drain', async ({ port, seen }) => {
  const client = createClient(JobLogStoreServiceService, `127.0.0.1:${port}`);
  const before = { ...seen };
  const controller = new AbortController();
  const messages = client.followLog(request(0), { signal: controller.signal })[Symbol.asyncIterator]();
  await withDeadline(messages.next(), 10_000, 'first message');
  // Read nothing more: the server fills the connection's window and waits for 'drain'.
  await sleep(500);
  assert.is(seen.ended, before.ended, 'the handler still runs while the client is only slow');
  controller.abort();
  const ms = await until(() => seen.ended > before.ended, 5000, 'the handler ended after the cancel');
  assert.ok(ms < 5000);
  assert.is(seen.aborted, before.aborted + 1, "the handler's signal aborted");
  client.close();
});

test('a half-open connection is noticed in seconds by both sides of a quiet stream (keepalive pings)', async ({ proxy, seen }) => {
  const client = createClient(JobLogStoreServiceService, `127.0.0.1:${proxy.port}`, { keepaliveTimeMs: 500, keepaliveTimeoutMs: 500 });
  const before = { ...seen };
  const messages = client.followLog(request(1))[Symbol.asyncIterator]();
  await withDeadline(messages.next(), 10_000, 'first message');
  const pending = messages.next().then(() => undefined, (error: unknown) => error as { code?: number });
  proxy.freeze(); // the peer vanishes without a FIN or RST
  const started = Date.now();
  const error = await withDeadline(pending, 10_000, 'the client noticed the dead connection');
  const clientMs = Date.now() - started;
  assert.is(error?.code, status.UNAVAILABLE, 'the client call fails UNAVAILABLE');
  const serverMs = await until(() => seen.ended > before.ended && seen.aborted > before.aborted, 10_000, 'the server cancelled the call');
  console.log(`half-open connection noticed: client after ${clientMs} ms, server within ${clientMs + serverMs} ms`);
  assert.ok(clientMs < 5000, `client noticed after ${clientMs} ms`);
  client.close();
});

test('unary calls sharing one long-lived signal leave no abort listener on it', async ({ port }) => {
  const client = createClient(JobLogStoreServiceService, `127.0.0.1:${port}`);
  const controller = new AbortController();
  for (let i = 0; i < 300; i++) await client.appendLogChunks({ chunks: [] }, { signal: controller.signal });
  assert.is(getEventListeners(controller.signal, 'abort').length, 0);
  client.close();
});

test.run();
