import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { createClient, MeshError, Metadata, status } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// Lone orchestrators (nothing behind them): a refused URL is refused at once; an accepted one goes
// on to look for a vm-runner, which is not there, so the call runs into the test's short deadline.
const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
type Ctx = { dir: string; running: ServiceProcess[] };
const test = suite<Ctx>('SubmitJob accepts only repository URLs of JOBMESH_REPO_URL_ALLOW; file:// by default only on loopback');

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-repo-allow-'));
  ctx.running = [];
});
test.after(async (ctx) => {
  for (const service of ctx.running) {
    service.child.kill('SIGTERM');
    await withDeadline(service.exited, 20_000, 'orchestrator stops');
  }
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Starts an orchestrator with `env`; returns a function telling the outcome of SubmitJob for a URL. */
async function orchestrator(ctx: Ctx, name: string, env: Record<string, string>) {
  const tokensFile = join(ctx.dir, name, 'tokens');
  const service = spawnService('orchestrator', entry, {
    JOBMESH_DATA_DIR: join(ctx.dir, name), JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_VMRUNNER_ADDR: '127.0.0.1:1', JOBMESH_FSOPS_ADDR: '127.0.0.1:1',
    JOBMESH_SHUTDOWN_GRACE_MS: '200', JOBMESH_LOG_LEVEL: 'info', JOBMESH_TOKENS_FILE: tokensFile, JOBMESH_TOKENS_GENERATE: '1', ...env,
  });
  ctx.running.push(service);
  const port = await withDeadline(service.serving, 60_000, `${name} serving`);
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${/^admin (\S+)$/m.exec(await readFile(tokensFile, 'utf8'))![1]}`);
  return async (repoUrl: string): Promise<string> => {
    const client = createClient(JobServiceService, `127.0.0.1:${port}`, { metadata, deadlineMs: 1500, maxAttempts: 1 });
    try {
      await withDeadline(client.submitJob({
        requestId: randomUUID(), repoUrl, commitSha: '0123456789abcdef0123456789abcdef01234567', runsOn: 'local', script: 'id', env: {}, secretEnv: {},
        timeoutMs: 0, artifactPatterns: [], artifactWhen: 0,
      }), 10_000, repoUrl);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof MeshError)) throw error;
      if (error.code === status.PERMISSION_DENIED && error.reason === 'REPO_URL_NOT_ALLOWED') {
        assert.is(error.field, 'repo_url');
        return 'refused';
      }
      // Past validation and the allowlist, the call waits for a vm-runner that is not there.
      return [status.INVALID_ARGUMENT, status.PERMISSION_DENIED, status.UNAUTHENTICATED].includes(error.code as never) ? `${status[error.code]} ${error.reason}` : 'accepted';
    } finally {
      client.close();
    }
  };
}

test('reachable from outside with no allowlist: network URLs pass, file:// is PERMISSION_DENIED naming repo_url', async (ctx) => {
  const submit = await orchestrator(ctx, 'public', { JOBMESH_ORCHESTRATOR_ADDR: '0.0.0.0:0' });
  assert.is(await submit('file:///srv/git/repo'), 'refused');
  assert.is(await submit('https://example.com/o/r.git'), 'accepted');
  assert.is(await submit('git@example.com:o/r.git'), 'accepted');
});

test('on loopback with no allowlist (npm start, the tests): file:// passes', async (ctx) => {
  const submit = await orchestrator(ctx, 'loopback', { JOBMESH_ORCHESTRATOR_ADDR: '127.0.0.1:0' });
  assert.is(await submit('file:///srv/git/repo'), 'accepted');
});

test('an allowlist: only its schemes and hosts, file:// only inside its folder', async (ctx) => {
  const submit = await orchestrator(ctx, 'listed', { JOBMESH_ORCHESTRATOR_ADDR: '127.0.0.1:0', JOBMESH_REPO_URL_ALLOW: 'https://github.com, ssh://*.corp.example, file:///srv/git' });
  const expected: Record<string, string> = {
    'https://github.com/o/r.git': 'accepted',
    'https://gitlab.com/o/r.git': 'refused',
    'http://github.com/o/r.git': 'refused',
    'git@src.corp.example:o/r.git': 'accepted',
    'git@github.com:o/r.git': 'refused',
    'file:///srv/git/repo': 'accepted',
    'file:///etc/repo': 'refused',
    'file:///srv/git/../../etc/repo': 'refused',
  };
  for (const [url, outcome] of Object.entries(expected)) assert.is(await submit(url), outcome, url);
});

test('a bad entry stops start-up, naming JOBMESH_REPO_URL_ALLOW and the entry', async (ctx) => {
  const service = spawnService('orchestrator', entry, { JOBMESH_DATA_DIR: join(ctx.dir, 'bad'), JOBMESH_ORCHESTRATOR_ADDR: '127.0.0.1:0', JOBMESH_REPO_URL_ALLOW: 'https://github.com, ftp://files.example' });
  assert.is(await withDeadline(service.exited, 60_000, 'exit'), 1);
  assert.match(service.output(), /JOBMESH_REPO_URL_ALLOW: "ftp:\/\/files\.example"/);
});

test.run();
