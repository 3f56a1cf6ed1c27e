import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { skipTest, spawnService, type ServiceProcess } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// The services started with the very environment docker-compose gives them (read from
// `docker-compose config`), only with paths moved into a temporary folder and the fixed
// ports made free ones: what someone reaching the published port from outside meets.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const test = suite<{ dir: string; config: string; services: ServiceProcess[] }>('docker-compose defaults: no open door from outside');

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-compose-defaults-'));
  ctx.config = (await run('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { cwd: root })).stdout;
  ctx.services = [];
});
test.after(async (ctx) => {
  for (const service of ctx.services) {
    service.child.kill('SIGTERM');
    await withDeadline(service.exited, 20_000, 'service stops');
  }
  await rm(ctx.dir, { recursive: true, force: true });
});

/** The environment compose gives `service`, with its container paths moved under `dir` and its peers unreachable. */
function composeEnvironment(config: string, service: string, dir: string): Record<string, string> {
  const block = config.split(/\n  (?=[a-z-]+:\n)/).find((b) => b.startsWith(`${service}:`)) ?? '';
  const lines = /\n    environment:\n((?: {6}.+\n)+)/.exec(block)?.[1] ?? '';
  const env: Record<string, string> = {};
  for (const line of lines.trimEnd().split('\n')) {
    const [, name, raw] = /^ +([A-Z0-9_]+): (.*)$/.exec(line)!;
    const value = raw!.replace(/^'(.*)'$/, '$1');
    if (name!.startsWith('OTEL_')) continue;
    env[name!] = value.replace(/^\/(data|images)(?=\/|$)/, `${dir}/$1`).replace(/^[a-z-]+:\d+$/, '127.0.0.1:1').replace(/^0\.0\.0\.0:\d+$/, '0.0.0.0:0');
  }
  return env;
}

const outsideAddress = () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test('the published orchestrator generates an admin token on first start and refuses an anonymous SubmitJob from outside', async (ctx) => {
  const env = composeEnvironment(ctx.config, 'orchestrator', ctx.dir);
  assert.is(env.JOBMESH_ORCHESTRATOR_ADDR, '0.0.0.0:0');
  assert.ok(env.JOBMESH_TOKENS_FILE, 'compose sets a token file');
  const outside = outsideAddress();
  if (!outside) return skipTest('this host has no non-loopback IPv4 address to call from');
  const orchestrator = spawnService('orchestrator', join(root, 'apps/orchestrator/src/main.ts'), { ...env, JOBMESH_LOG_LEVEL: 'info', JOBMESH_SHUTDOWN_GRACE_MS: '200' });
  ctx.services.push(orchestrator);
  const port = await withDeadline(orchestrator.serving, 60_000, 'orchestrator serving');
  assert.is((await stat(env.JOBMESH_TOKENS_FILE!)).mode & 0o777, 0o600);
  const api = createClient(JobServiceService, `${outside}:${port}`, { deadlineMs: 5000, maxAttempts: 1 });
  try {
    await expectStatus(withDeadline(api.submitJob({
      requestId: randomUUID(), repoUrl: 'https://example.com/repo.git', commitSha: '0123456789abcdef0123456789abcdef01234567', runsOn: 'local',
      script: 'id', env: {}, secretEnv: {}, timeoutMs: 0, artifactPatterns: [], artifactWhen: 0,
    }), 10_000, 'anonymous submit'), status.UNAUTHENTICATED, { reason: 'TOKEN_MISSING' });
  } finally {
    api.close();
  }
});

test('vm-runner as compose starts it reports the process label unavailable (host jobs off) with the fix', async (ctx) => {
  const env = composeEnvironment(ctx.config, 'vm-runner', ctx.dir);
  assert.is(env.JOBMESH_VMRUNNER_ADDR, '0.0.0.0:0');
  assert.is(env.JOBMESH_ALLOW_HOST_JOBS, undefined, 'compose does not allow host jobs');
  // The built-in catalog's process label (its qemu labels are left out: they need an image and a probe boot).
  const catalog = join(ctx.dir, 'catalog.json');
  await writeFile(catalog, JSON.stringify({ labels: [{ name: 'local', aliases: ['process'], backend: 'process', slots: 4 }] }));
  const runner = spawnService('vm-runner', join(root, 'apps/vm-runner/src/main.ts'), { ...env, JOBMESH_VMRUNNER_CATALOG: catalog, JOBMESH_LOG_LEVEL: 'info', JOBMESH_SHUTDOWN_GRACE_MS: '200' });
  ctx.services.push(runner);
  const port = await withDeadline(runner.serving, 60_000, 'vm-runner serving');
  const client = createClient(VmRunnerServiceService, `127.0.0.1:${port}`, { deadlineMs: 10_000, maxAttempts: 1 });
  try {
    const { labels } = await withDeadline(client.capacity({}), 15_000, 'capacity');
    assert.match(labels.find((l) => l.label === 'local')!.unavailableReason, /JOBMESH_ALLOW_HOST_JOBS=1/);
  } finally {
    client.close();
  }
});

test.run();
