import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { createGrpcServer, defineService, status, unauthenticated } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';
import { createApi } from './create-api.ts';

test('the CLI talks mutual TLS from JOBMESH_TLS_* and sends JOBMESH_TOKEN as a bearer token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jobmesh-cli-tls-'));
  const certs = await withDeadline(makeDevCertificates(dir), 60_000, 'certificates');
  const headers: string[] = [];
  const server = createGrpcServer({
    logger: createLogger('test', { sink: () => {} }),
    tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.caCert, clientAuth: true },
    services: [defineService('jobmesh.orchestrator.v1.JobService', JobServiceService, new Proxy({}, { get: () => async () => ({ jobs: [], nextPageToken: '' }) }) as never)],
    authorize: (context) => {
      const header = String(context.metadata.get('authorization')[0] ?? '');
      headers.push(header);
      if (!header) throw unauthenticated('TOKEN_MISSING', 'no token');
    },
  });
  const port = await withDeadline(server.listen('127.0.0.1:0'), 5000, 'listen');
  const tlsEnv = { JOBMESH_ADDR: `127.0.0.1:${port}`, JOBMESH_TLS_CA: certs.caCert, JOBMESH_TLS_CERT: certs.clientCert, JOBMESH_TLS_KEY: certs.clientKey };
  const withToken = createApi({ ...tlsEnv, JOBMESH_TOKEN: 'cli-token-0123456789\n' });
  const withoutToken = createApi(tlsEnv);
  const withoutCert = createApi({ JOBMESH_ADDR: tlsEnv.JOBMESH_ADDR, JOBMESH_TLS_CA: certs.caCert, JOBMESH_TOKEN: 'cli-token-0123456789' });
  try {
    const list = { states: [], runsOn: '', repoUrl: '', pageSize: 0, pageToken: '' };
    assert.equal((await withDeadline(withToken.jobs.listJobs(list), 10_000, 'list')).jobs, []);
    await expectStatus(withDeadline(withoutToken.jobs.listJobs(list), 10_000, 'list without token'), status.UNAUTHENTICATED, { reason: 'TOKEN_MISSING' });
    await expectStatus(withDeadline(withoutCert.jobs.listJobs(list), 10_000, 'list without certificate'), status.UNAVAILABLE);
    assert.equal(headers, ['Bearer cli-token-0123456789', '']);
  } finally {
    for (const api of [withToken, withoutToken, withoutCert]) api.close();
    await withDeadline(server.shutdown(100), 5000, 'shutdown');
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
