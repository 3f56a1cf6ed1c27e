import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, Metadata, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { findTextInDatabase } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates, type DevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';
import { makeGitRepo, startTestMesh, type ServiceName, type TestMesh } from './support/index.ts';

// The whole mesh with mutual TLS between every service and the test, bearer
// tokens on the public API, and a job with a secret env value.
type Ctx = { dir: string; certs: DevCertificates; mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('mesh with mutual TLS, tokens and secret env');
const submitToken = `submit-${randomBytes(16).toString('hex')}`;
const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-secure-'));
  ctx.certs = await withDeadline(makeDevCertificates(join(ctx.dir, 'certs')), 60_000, 'certificates');
  await writeFile(join(ctx.dir, 'tokens'), `submit ${submitToken}\n`);
  ctx.mesh = await withDeadline(startTestMesh({
    localSlots: 2,
    env: {
      JOBMESH_TLS_CA: ctx.certs.caCert, JOBMESH_TLS_CERT: ctx.certs.serverCert, JOBMESH_TLS_KEY: ctx.certs.serverKey,
      JOBMESH_TLS_CLIENT_AUTH: 'require', JOBMESH_TOKENS_FILE: join(ctx.dir, 'tokens'),
    },
    tls: { caFile: ctx.certs.caCert, certFile: ctx.certs.clientCert, keyFile: ctx.certs.clientKey },
    token: submitToken,
  }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'hello.txt': 'hello over mutual TLS\n' });
});

test.after(async (ctx) => {
  await ctx.mesh?.stop();
  await rm(ctx.dir, { recursive: true, force: true });
});

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);
async function runToEnd(ctx: Ctx, script: string, env: Record<string, string>, secretEnv: Record<string, string>) {
  const { job } = await withDeadline(ctx.mesh.api.jobs.submitJob({
    repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script, env, secretEnv, timeoutMs: 60_000, artifactPatterns: [], artifactWhen: 0, requestId: '',
  }), 30_000, 'submit');
  return withDeadline((async () => {
    for (;;) {
      const { job: now } = await ctx.mesh.api.jobs.getJob({ requestId: job!.requestId });
      if (terminal.has(now!.state)) return now!;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), 90_000, 'job ends');
}

async function readLog(ctx: Ctx, requestId: string): Promise<string> {
  const chunks: Buffer[] = [];
  await withDeadline((async () => {
    for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: false })) chunks.push(Buffer.from(chunk.data));
  })(), 30_000, 'log');
  return Buffer.concat(chunks).toString();
}

test('a job runs to success over mutual TLS with a submit token', async (ctx) => {
  const job = await runToEnd(ctx, 'cat hello.txt', {}, {});
  assert.is(job.state, JobState.JOB_STATE_SUCCEEDED, job.error);
  assert.ok((await readLog(ctx, job.requestId)).includes('hello over mutual TLS'));
});

test('clients without a client certificate, trusting another CA, or in plaintext are refused by every service', async (ctx) => {
  const other = await withDeadline(makeDevCertificates(join(ctx.dir, 'other'), { caName: 'stranger CA' }), 60_000, 'other certificates');
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${submitToken}`);
  for (const tls of [{ caFile: ctx.certs.caCert }, { caFile: other.caCert, certFile: other.clientCert, keyFile: other.clientKey }, undefined]) {
    const api = createClient(JobServiceService, ctx.mesh.address.orchestrator, { tls, metadata, deadlineMs: 3000, maxAttempts: 1 });
    const store = createClient(JobStoreServiceService, ctx.mesh.address.persistence, { tls, deadlineMs: 3000, maxAttempts: 1 });
    try {
      await expectStatus(withDeadline(api.getJob({ requestId: '00000000-0000-4000-8000-000000000000' }), 10_000, 'api'), status.UNAVAILABLE);
      await expectStatus(withDeadline(store.getJob({ requestId: '00000000-0000-4000-8000-000000000000' }), 10_000, 'store'), status.UNAVAILABLE);
    } finally {
      api.close();
      store.close();
    }
  }
});

test('a submit token cannot cancel (admin only); no token is UNAUTHENTICATED, over TLS', async (ctx) => {
  await expectStatus(withDeadline(ctx.mesh.api.jobs.cancelJob({ requestId: '00000000-0000-4000-8000-000000000000', reason: '' }), 10_000, 'cancel'),
    status.PERMISSION_DENIED, { reason: 'ROLE_INSUFFICIENT' });
  const anonymous = createClient(JobServiceService, ctx.mesh.address.orchestrator, {
    tls: { caFile: ctx.certs.caCert, certFile: ctx.certs.clientCert, keyFile: ctx.certs.clientKey }, deadlineMs: 3000, maxAttempts: 1,
  });
  try {
    await expectStatus(withDeadline(anonymous.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 0, pageToken: '' }), 10_000, 'list'), status.UNAUTHENTICATED, { reason: 'TOKEN_MISSING' });
  } finally {
    anonymous.close();
  }
});

test('a secret env value reaches the job but is masked in its log, in GetJob, and absent from the database and service logs', async (ctx) => {
  const script = 'echo "token=$API_TOKEN plain=$PLAIN"; echo "$API_TOKEN" >&2; printf %s "$API_TOKEN" | base64; printf %s "$API_TOKEN" | sha256sum';
  const job = await runToEnd(ctx, script, { PLAIN: 'visible' }, { API_TOKEN: secret });
  assert.is(job.state, JobState.JOB_STATE_SUCCEEDED, job.error);
  assert.equal(job.env, { PLAIN: 'visible', API_TOKEN: '***' });

  const log = await readLog(ctx, job.requestId);
  assert.ok(log.includes('token=*** plain=visible'), log);
  // The job saw the real value: its digest is in the log, the value and its base64 are not.
  assert.ok(log.includes(createHash('sha256').update(secret).digest('hex')), log);
  assert.ok(!log.includes(secret) && !log.includes(Buffer.from(secret).toString('base64')), log);
  assert.is(log.split('***').length - 1, 3, log);

  for (const needle of [secret, Buffer.from(secret).toString('base64')]) {
    assert.equal(await withDeadline(findTextInDatabase(ctx.mesh.database.url, needle), 30_000, 'database scan'), []);
    for (const name of ['persistence', 'vm-runner', 'fsops', 'orchestrator'] as ServiceName[]) {
      assert.ok(!ctx.mesh.output(name).includes(needle), `${name} logged the secret`);
    }
  }
  // ...while the scan does find what is stored in the clear, so it looks in the right places.
  assert.ok((await withDeadline(findTextInDatabase(ctx.mesh.database.url, 'plain=visible'), 30_000, 'scan')).includes('job_log_chunks.data'));
});

test.run();
