import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { createLogger } from '@jobmesh/logger';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates, type DevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';
import { createCallerAuthorizer, createClient, createGrpcServer, defineService, meshIdentityOf, status, type GrpcServer, type TlsOptions } from '../src/index.ts';
import { expectStatus, withDeadline } from '../src/testing/index.ts';

type Ctx = { dir: string; certs: DevCertificates; server: GrpcServer; address: string; seen: (string | undefined)[] };
const test = suite<Ctx>('grpc-kit mutual TLS: callers told apart by the mesh identity of their certificate');

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-caller-'));
  ctx.certs = await withDeadline(makeDevCertificates(ctx.dir), 60_000, 'certificates');
  ctx.seen = [];
  const allow = createCallerAuthorizer(['orchestrator', 'fsops']);
  ctx.server = createGrpcServer({
    logger: createLogger('test', { sink: () => {} }),
    tls: { certFile: ctx.certs.services.persistence.cert, keyFile: ctx.certs.services.persistence.key, caFile: ctx.certs.caCert, clientAuth: true },
    services: [defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, new Proxy({}, { get: () => async () => ({ job: undefined }) }) as never)],
    authorize: (context) => {
      ctx.seen.push(context.caller);
      return allow(context);
    },
  });
  ctx.address = `127.0.0.1:${await withDeadline(ctx.server.listen('127.0.0.1:0'), 5000, 'listen')}`;
  ctx.server.setServing(true);
});
test.after(async (ctx) => {
  await ctx.server?.shutdown(100);
  await rm(ctx.dir, { recursive: true, force: true });
});

const tlsOf = (ctx: Ctx, pair: { cert: string; key: string }): TlsOptions => ({ caFile: ctx.certs.caCert, certFile: pair.cert, keyFile: pair.key });

test('allowed identities are served; the CLI certificate, another service and a certificate without identity are PERMISSION_DENIED; health stays open', async (ctx) => {
  const cases: [string, { cert: string; key: string }, boolean][] = [
    ['orchestrator', ctx.certs.services.orchestrator, true],
    ['fsops', ctx.certs.services.fsops, true],
    ['vm-runner', ctx.certs.services['vm-runner'], false],
    ['client', { cert: ctx.certs.clientCert, key: ctx.certs.clientKey }, false],
    ['server (no identity)', { cert: ctx.certs.serverCert, key: ctx.certs.serverKey }, false],
  ];
  for (const [name, pair, allowed] of cases) {
    const store = createClient(JobStoreServiceService, ctx.address, { tls: tlsOf(ctx, pair), deadlineMs: 3000, maxAttempts: 1 });
    const health = createClient(HealthService, ctx.address, { tls: tlsOf(ctx, pair), deadlineMs: 3000, maxAttempts: 1 });
    try {
      if (allowed) await withDeadline(store.getJob({ requestId: 'x' }), 5000, name);
      else await expectStatus(withDeadline(store.getJob({ requestId: 'x' }), 5000, name), status.PERMISSION_DENIED, { reason: 'CALLER_NOT_ALLOWED' });
      assert.is((await withDeadline(health.check({ service: '' }), 5000, 'health')).status, HealthCheckResponse_ServingStatus.SERVING, name);
    } finally {
      store.close();
      health.close();
    }
  }
  assert.equal(ctx.seen, ['orchestrator', 'fsops', 'vm-runner', 'client', undefined]);
});

test('the identity is the one spiffe://jobmesh/<name> URI SAN; none, several or another trust domain give none', () => {
  assert.is(meshIdentityOf({ subjectaltname: 'DNS:localhost, IP Address:127.0.0.1, URI:spiffe://jobmesh/vm-runner' }), 'vm-runner');
  assert.is(meshIdentityOf({ subjectaltname: 'DNS:localhost' }), undefined);
  assert.is(meshIdentityOf({ subjectaltname: 'URI:spiffe://jobmesh/orchestrator, URI:spiffe://jobmesh/fsops' }), undefined);
  assert.is(meshIdentityOf({ subjectaltname: 'URI:spiffe://other/orchestrator, DNS:spiffe://jobmesh/orchestrator' }), undefined);
  assert.is(meshIdentityOf({ subjectaltname: 'URI:"spiffe://jobmesh/orchestrator, URI:spiffe://jobmesh/x"' }), undefined);
  assert.is(meshIdentityOf(undefined), undefined);
});

test.run();
