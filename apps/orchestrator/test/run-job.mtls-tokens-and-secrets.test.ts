import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, MeshError, Metadata, status, type TlsOptions } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { findTextInDatabase } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates, type DevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';
import { makeGitRepo, startTestMesh, type ServiceName, type TestMesh } from './support/index.ts';

// The whole mesh with mutual TLS between every service and the test, each service with its
// own certificate and identity ({service} in the paths), bearer tokens on the public API, and
// a job with a secret env value.
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
      JOBMESH_TLS_CA: ctx.certs.caCert, JOBMESH_TLS_CERT: join(ctx.certs.dir, '{service}.crt'), JOBMESH_TLS_KEY: join(ctx.certs.dir, '{service}.key'),
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

/** The code and reason a call ends with ('OK' when it succeeds). */
const outcome = (call: Promise<unknown>) => withDeadline(call.then(() => 'OK', (e: unknown) => (e instanceof MeshError ? `${status[e.code]} ${e.reason}` : String(e))), 15_000, 'call');

test('internal services serve only their intended callers, told apart by certificate; others are PERMISSION_DENIED', async (ctx) => {
  const as = (who: 'client' | 'server' | 'orchestrator' | 'persistence' | 'vm-runner' | 'fsops'): TlsOptions => {
    const pair = who === 'client' ? { cert: ctx.certs.clientCert, key: ctx.certs.clientKey } : who === 'server' ? { cert: ctx.certs.serverCert, key: ctx.certs.serverKey } : ctx.certs.services[who];
    return { caFile: ctx.certs.caCert, certFile: pair.cert, keyFile: pair.key };
  };
  const denied = 'PERMISSION_DENIED CALLER_NOT_ALLOWED';
  const calls = {
    persistence: (tls: TlsOptions) => {
      const c = createClient(JobStoreServiceService, ctx.mesh.address.persistence, { tls, deadlineMs: 5000, maxAttempts: 1 });
      return outcome(c.getJob({ requestId: randomUUID() }).finally(() => c.close()));
    },
    'vm-runner': (tls: TlsOptions) => {
      const c = createClient(VmRunnerServiceService, ctx.mesh.address['vm-runner'], { tls, deadlineMs: 5000, maxAttempts: 1 });
      return outcome(c.capacity({}).finally(() => c.close()));
    },
    fsops: (tls: TlsOptions) => {
      const c = createClient(FsopsServiceService, ctx.mesh.address.fsops, { tls, deadlineMs: 5000, maxAttempts: 1 });
      return outcome(c.stat({ path: join(ctx.mesh.dataDir, 'workspaces') }).finally(() => c.close()));
    },
  };
  const expected: Record<keyof typeof calls, Record<string, string | RegExp>> = {
    persistence: { client: denied, server: denied, persistence: denied, orchestrator: 'NOT_FOUND JOB_NOT_FOUND', 'vm-runner': 'NOT_FOUND JOB_NOT_FOUND', fsops: 'NOT_FOUND JOB_NOT_FOUND' },
    'vm-runner': { client: denied, server: denied, persistence: denied, fsops: denied, 'vm-runner': denied, orchestrator: 'OK' },
    fsops: { client: denied, server: denied, persistence: denied, 'vm-runner': denied, fsops: denied, orchestrator: 'OK' },
  };
  for (const [service, byCaller] of Object.entries(expected) as [keyof typeof calls, Record<string, string>][]) {
    for (const [caller, want] of Object.entries(byCaller)) {
      assert.is(await calls[service](as(caller as never)), want, `${caller} calling ${service}`);
    }
  }
});

test('vm-runner Prepare refuses a workspace_path outside the workspace root, also from the orchestrator and through a symlink', async (ctx) => {
  const vmRunner = createClient(VmRunnerServiceService, ctx.mesh.address['vm-runner'], {
    tls: { caFile: ctx.certs.caCert, certFile: ctx.certs.services.orchestrator.cert, keyFile: ctx.certs.services.orchestrator.key }, deadlineMs: 5000, maxAttempts: 1,
  });
  const root = join(ctx.mesh.dataDir, 'workspaces');
  await mkdir(root, { recursive: true });
  await symlink('/etc', join(root, 'escape'));
  await mkdir(join(root, 'inside'));
  try {
    const prepare = (workspacePath: string) => vmRunner.prepare({ key: `ws-${randomUUID()}`, runsOn: 'local', jobRequestId: '', workspacePath, script: 'id', env: {} });
    for (const path of ['/etc', join(ctx.mesh.dataDir, 'vm-runner'), join(root, '..', 'staging'), join(root, 'escape'), root]) {
      await expectStatus(withDeadline(prepare(path), 15_000, path), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT', field: 'workspace_path' });
    }
    const { vm } = await withDeadline(prepare(join(root, 'inside')), 15_000, 'inside');
    await withDeadline(vmRunner.destroy({ vmId: vm!.id }), 15_000, 'destroy');
  } finally {
    vmRunner.close();
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
