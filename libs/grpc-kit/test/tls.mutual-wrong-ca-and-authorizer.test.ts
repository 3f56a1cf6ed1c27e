import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { createLogger } from '@jobmesh/logger';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates, type DevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';
import {
  createClient, createGrpcServer, defineService, Metadata, permissionDenied, status, unauthenticated,
  type GrpcServer, type TlsOptions,
} from '../src/index.ts';
import { expectStatus, withDeadline } from '../src/testing/index.ts';

type Ctx = { dir: string; good: DevCertificates; other: DevCertificates; servers: GrpcServer[] };
const test = suite<Ctx>('grpc-kit TLS, mutual TLS, wrong CA, authorizer');
const logger = createLogger('test', { sink: () => {} });

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-tls-'));
  ctx.good = await withDeadline(makeDevCertificates(join(ctx.dir, 'good')), 60_000, 'make certificates');
  ctx.other = await withDeadline(makeDevCertificates(join(ctx.dir, 'other'), { caName: 'another CA' }), 60_000, 'make other certificates');
  ctx.servers = [];
});

test.after(async (ctx) => {
  for (const server of ctx.servers) await withDeadline(server.shutdown(100), 5000, 'shutdown');
  await rm(ctx.dir, { recursive: true, force: true });
});

async function serve(ctx: Ctx, tls: TlsOptions | undefined, options: Partial<Parameters<typeof createGrpcServer>[0]> = {}): Promise<string> {
  const server = createGrpcServer({ logger, services: [], tls, ...options });
  ctx.servers.push(server);
  const port = await withDeadline(server.listen('127.0.0.1:0'), 5000, 'listen');
  server.setServing(true);
  return `127.0.0.1:${port}`;
}

async function check(address: string, tls: TlsOptions | undefined): Promise<number> {
  const client = createClient(HealthService, address, { tls, deadlineMs: 3000, maxAttempts: 1 });
  try {
    return (await withDeadline(client.check({ service: '' }), 5000, 'health check')).status;
  } finally {
    client.close();
  }
}

test('TLS: a client trusting the CA is served; a plaintext client and one trusting another CA are refused', async (ctx) => {
  const address = await serve(ctx, { certFile: ctx.good.serverCert, keyFile: ctx.good.serverKey });
  assert.is(await check(address, { caFile: ctx.good.caCert }), HealthCheckResponse_ServingStatus.SERVING);
  assert.is(await check(`localhost:${address.split(':')[1]}`, { caFile: ctx.good.caCert }), HealthCheckResponse_ServingStatus.SERVING);
  await expectStatus(check(address, undefined), status.UNAVAILABLE);
  await expectStatus(check(address, { caFile: ctx.other.caCert }), status.UNAVAILABLE);
});

test('TLS: a server name outside the certificate is refused unless overridden to one inside', async (ctx) => {
  const address = await serve(ctx, { certFile: ctx.good.serverCert, keyFile: ctx.good.serverKey });
  await expectStatus(check(address, { caFile: ctx.good.caCert, serverName: 'elsewhere.example' }), status.UNAVAILABLE);
  assert.is(await check(address, { caFile: ctx.good.caCert, serverName: 'localhost' }), HealthCheckResponse_ServingStatus.SERVING);
});

test('mutual TLS: a client certificate of the CA is served; none, or one of another CA, is refused', async (ctx) => {
  const address = await serve(ctx, { certFile: ctx.good.serverCert, keyFile: ctx.good.serverKey, caFile: ctx.good.caCert, clientAuth: true });
  assert.is(await check(address, { caFile: ctx.good.caCert, certFile: ctx.good.clientCert, keyFile: ctx.good.clientKey }), HealthCheckResponse_ServingStatus.SERVING);
  // A service calls another with its own (server) certificate, which is also valid for client auth.
  assert.is(await check(address, { caFile: ctx.good.caCert, certFile: ctx.good.serverCert, keyFile: ctx.good.serverKey }), HealthCheckResponse_ServingStatus.SERVING);
  await expectStatus(check(address, { caFile: ctx.good.caCert }), status.UNAVAILABLE);
  await expectStatus(check(address, { caFile: ctx.good.caCert, certFile: ctx.other.clientCert, keyFile: ctx.other.clientKey }), status.UNAVAILABLE);
  await expectStatus(check(address, undefined), status.UNAVAILABLE);
});

test('a TLS server without a readable certificate fails to listen, naming the file', async () => {
  const server = createGrpcServer({ logger, services: [], tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } });
  const error = await withDeadline(server.listen('127.0.0.1:0').then(() => undefined, (e: Error) => e), 5000, 'listen');
  assert.ok(error?.message.includes('/nonexistent/cert.pem'), String(error));
});

test('authorizer: refusals keep their code and reason; health stays open; the client sends its default metadata', async (ctx) => {
  const seen: string[] = [];
  const implementation = new Proxy({}, { get: () => async () => ({ job: undefined }) });
  const address = await serve(ctx, undefined, {
    services: [defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, implementation as never)],
    authorize: (context) => {
      const token = String(context.metadata.get('authorization')[0] ?? '');
      seen.push(`${context.method} ${token}`);
      if (!token) throw unauthenticated('TOKEN_MISSING', 'no token');
      if (token !== 'Bearer ok') throw permissionDenied('ROLE_NOT_ALLOWED', 'not this one');
    },
  });
  const client = (token?: string) => {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', token);
    return createClient(JobStoreServiceService, address, { metadata, deadlineMs: 3000, maxAttempts: 1 });
  };
  const [none, wrong, ok] = [client(), client('Bearer nope'), client('Bearer ok')];
  try {
    await expectStatus(withDeadline(none.getJob({ requestId: 'x' }), 5000, 'none'), status.UNAUTHENTICATED, { reason: 'TOKEN_MISSING' });
    await expectStatus(withDeadline(wrong.getJob({ requestId: 'x' }), 5000, 'wrong'), status.PERMISSION_DENIED, { reason: 'ROLE_NOT_ALLOWED' });
    await withDeadline(ok.getJob({ requestId: 'x' }), 5000, 'ok');
    assert.is(await check(address, undefined), HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(seen, ['/jobmesh.persistence.v1.JobStoreService/GetJob ', '/jobmesh.persistence.v1.JobStoreService/GetJob Bearer nope', '/jobmesh.persistence.v1.JobStoreService/GetJob Bearer ok']);
  } finally {
    for (const c of [none, wrong, ok]) c.close();
  }
});

test.run();
