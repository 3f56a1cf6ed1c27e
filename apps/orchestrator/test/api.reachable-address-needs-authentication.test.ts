import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobServiceService, type SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { createClient, Metadata, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { skipTest, spawnService } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// An orchestrator alone (persistence unreachable: every refusal here comes before any call to it),
// listening on every interface as docker-compose makes it, and called from another address of this host.
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const test = suite<{ dir: string }>('an orchestrator reachable from other machines needs tokens or mutual TLS');

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-open-api-'));
});
test.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

/** An IPv4 address of this host other than loopback: what another machine would dial. */
const outsideAddress = () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const env = (dir: string, extra: Record<string, string>) => ({
  JOBMESH_DATA_DIR: dir, JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_VMRUNNER_ADDR: '127.0.0.1:1', JOBMESH_FSOPS_ADDR: '127.0.0.1:1',
  JOBMESH_SHUTDOWN_GRACE_MS: '200', JOBMESH_LOG_LEVEL: 'info', ...extra,
});

const submission = (repoUrl: string): SubmitJobRequest => ({
  requestId: randomUUID(), repoUrl, commitSha: '0123456789abcdef0123456789abcdef01234567', runsOn: 'local', script: 'id', env: {}, secretEnv: {},
  timeoutMs: 0, artifactPatterns: [], artifactWhen: 0,
});

test('on 0.0.0.0 without JOBMESH_TOKENS_FILE or mutual TLS, it refuses to start and names the variables', async ({ dir }) => {
  for (const address of ['0.0.0.0:0', '[::]:0']) {
    const orchestrator = spawnService('orchestrator', entry, env(dir, { JOBMESH_ORCHESTRATOR_ADDR: address }));
    const code = await withDeadline(orchestrator.exited, 60_000, 'orchestrator exits');
    assert.is(code, 1);
    for (const name of ['JOBMESH_ORCHESTRATOR_ADDR', 'JOBMESH_TOKENS_FILE', 'JOBMESH_TLS_CLIENT_AUTH']) assert.ok(orchestrator.output().includes(name), orchestrator.output());
    assert.not.match(orchestrator.output(), /orchestrator serving/);
  }
});

test('with JOBMESH_TOKENS_GENERATE=1 it creates an admin token (0600); callers from outside without it are UNAUTHENTICATED', async ({ dir }) => {
  const outside = outsideAddress();
  if (!outside) return skipTest('this host has no non-loopback IPv4 address to call from');
  const tokensFile = join(dir, 'orchestrator', 'tokens');
  const orchestrator = spawnService('orchestrator', entry, env(dir, { JOBMESH_ORCHESTRATOR_ADDR: '0.0.0.0:0', JOBMESH_TOKENS_FILE: tokensFile, JOBMESH_TOKENS_GENERATE: '1' }));
  const clients: { close(): void }[] = [];
  try {
    const port = await withDeadline(orchestrator.serving, 60_000, 'orchestrator serving');
    assert.is((await stat(tokensFile)).mode & 0o777, 0o600);
    const token = /^admin (\S+)$/m.exec(await readFile(tokensFile, 'utf8'))?.[1];
    assert.ok(token && token.length >= 32, 'an admin token');
    assert.not.ok(orchestrator.output().includes(token!), 'the token is never logged');
    const client = (metadata?: Metadata) => {
      const c = createClient(JobServiceService, `${outside}:${port}`, { metadata, deadlineMs: 5000, maxAttempts: 1 });
      clients.push(c);
      return c;
    };
    await expectStatus(withDeadline(client().submitJob(submission('https://example.com/repo.git')), 10_000, 'anonymous submit'), status.UNAUTHENTICATED, { reason: 'TOKEN_MISSING' });
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    // Authenticated, the call goes past the token check (and, persistence being down here, no further).
    const error = await withDeadline(client(metadata).submitJob(submission('https://example.com/repo.git')).then(() => undefined, (e: Error) => e), 30_000, 'authenticated submit');
    assert.ok(!error || !/TOKEN_/.test(String((error as { reason?: string }).reason)), String(error));
  } finally {
    for (const c of clients) c.close();
    orchestrator.child.kill('SIGTERM');
    await withDeadline(orchestrator.exited, 20_000, 'orchestrator stops');
  }
});

test('a second start keeps the generated file (same token)', async ({ dir }) => {
  const tokensFile = join(dir, 'again', 'tokens');
  const run = async () => {
    const orchestrator = spawnService('orchestrator', entry, env(dir, { JOBMESH_ORCHESTRATOR_ADDR: '127.0.0.1:0', JOBMESH_TOKENS_FILE: tokensFile, JOBMESH_TOKENS_GENERATE: '1' }));
    await withDeadline(orchestrator.serving, 60_000, 'orchestrator serving');
    orchestrator.child.kill('SIGTERM');
    await withDeadline(orchestrator.exited, 20_000, 'orchestrator stops');
    return readFile(tokensFile, 'utf8');
  };
  assert.is(await run(), await run());
});

test.run();
