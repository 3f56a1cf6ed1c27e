import { randomUUID } from 'node:crypto';
import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata } from '@grpc/grpc-js';
import { createReflectionClient, type ReflectionClient } from '@jobmesh/grpc-kit/testing';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCompose, type Compose } from '../src/create-compose.ts';
import { ensureBaseImage } from '../src/ensure-base-image.ts';
import { ensureStandinImages } from '../src/ensure-standin-images.ts';
import { commandOutput, runCommand } from '../src/run-command.ts';
import { privateDockerUnavailable, startPrivateDocker, type PrivateDocker } from '../src/start-private-docker.ts';
import { containerRssMiB } from '../src/container-rss.ts';
import { composeProjectLeftovers, removeComposeProjectLeftovers, waitForHealthy, waitUntil as until } from '../src/compose-health.ts';

// The README's "Run with docker-compose" recipe, for real: a private dockerd, the images built
// from ./Dockerfile on a base made offline, `docker-compose up -d`, a job through the published
// port with the CLI and with reflection alone, persistence crashed mid-job, `down -v`.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = join(process.env.JOBMESH_TEST_OUTPUT_DIR ?? join(root, '.jobmesh', 'test-output'), 'deploy', `compose-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const services = ['postgres', 'jaeger', 'persistence', 'vm-runner', 'fsops', 'orchestrator', 'console'];
const appServices = ['orchestrator', 'persistence', 'vm-runner', 'fsops', 'console'];
const minutes = (n: number) => n * 60_000;
const log = (line: string) => process.stdout.write(`  [compose] ${line}\n`);

interface Context {
  skip?: string;
  docker?: PrivateDocker;
  compose?: Compose;
  baseImage: string;
  standins: string[];
  token: string;
  address: string;
  commit: string;
  stopped: boolean;
  /** Set by the first failing step: the steps after it cannot run. */
  broken?: string;
  /** VmRSS of each service's process, MiB: idle after start, and after a small load. */
  rss: Record<string, { idleMiB?: number; loadedMiB?: number }>;
}
const suiteOf = suite<Context>('docker-compose runs the mesh', { baseImage: '', standins: [], token: '', address: '', commit: '', stopped: false, rss: {} });

// Each step needs the ones before it: the first failure marks the rest as not run.
const test = (name: string, fn: (ctx: Context) => Promise<void>) => suiteOf(name, async (ctx) => {
  try {
    await fn(ctx);
  } catch (error) {
    ctx.broken ??= name;
    throw error;
  }
});

suiteOf.before(async (ctx) => {
  ctx.skip = await privateDockerUnavailable() || undefined;
  if (ctx.skip) return;
  await mkdir(outDir, { recursive: true });
  log(`output (compose log, dockerd log, build log): ${outDir}`);
  ctx.docker = await startPrivateDocker({ cacheDir: join(process.env.HOME ?? '/root', '.cache', 'jobmesh', 'docker'), logFile: join(outDir, 'dockerd.log') });
  log(`private dockerd at ${ctx.docker.host}, image cache ${ctx.docker.warmCache ? 'kept in ~/.cache/jobmesh/docker' : 'fresh (the kept one is in use)'}`);

  // A repository the jobs check out, through the README's local-repos override; fsops (uid 10001) must own it.
  const repos = join(outDir, 'repos');
  const repo = join(repos, 'demo');
  await mkdir(repo, { recursive: true });
  await writeFile(join(repo, 'README'), 'checked out by fsops in a container\n');
  const git = (...args: string[]) => commandOutput('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', '-c', 'safe.directory=*', '-C', repo, ...args]);
  await git('init', '-q');
  await git('add', 'README');
  await git('commit', '-qm', 'demo');
  ctx.commit = await git('rev-parse', 'HEAD');
  for (const path of [repos, repo, ...(await readdir(repo, { recursive: true })).map((p) => join(repo, p))]) await chown(path, 10001, 10001);

  await removeComposeProjectLeftovers(ctx.docker.env, 'jobmesh-compose-test');
  ctx.compose = createCompose(root, 'jobmesh-compose-test', ['docker-compose.yml', 'deploy/docker/compose.local-repos.yml'], {
    ...ctx.docker.env,
    JM_REPOS_DIR: repos,
    // Free host ports on loopback: nothing else on this machine is disturbed.
    JM_ORCHESTRATOR_PUBLISH: '127.0.0.1:',
    JM_JAEGER_UI_PUBLISH: '127.0.0.1:',
  });
});

suiteOf.after(async (ctx) => {
  if (!ctx.docker) return;
  if (ctx.compose && !ctx.stopped) {
    await saveComposeLog(ctx.compose);
    await ctx.compose.run(['down', '-v', '--remove-orphans']).catch((error: Error) => log(`down failed: ${error.message}`));
  }
  await runCommand('docker', ['image', 'prune', '-f'], { env: ctx.docker.env }).catch(() => undefined);
  await ctx.docker.stop();
  log(`compose log: ${join(outDir, 'compose.log')}`);
});

async function saveComposeLog(compose: Compose): Promise<void> {
  const text = await compose.run(['logs', '--no-color', '--timestamps']).catch((error: Error) => `docker-compose logs failed: ${error.message}\n`);
  await writeFile(join(outDir, 'compose.log'), text);
}

test('the images build from ./Dockerfile on the given base: no devDependencies, no tools/, user jobmesh', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const env = ctx.docker!.env;
  ctx.baseImage = await ensureBaseImage(env, log);
  ctx.standins = await ensureStandinImages(env, ctx.baseImage, join(root, 'tools/deploy/standins'));
  for (const line of ctx.standins) log(line);
  const started = Date.now();
  // The dependency stages, tagged: `docker image prune` at the end keeps them, so the next run's
  // build finds its `npm ci` layers in the kept engine (the warm run).
  for (const stage of ['build', 'deps']) {
    await runCommand('docker', ['build', '-q', '--target', stage, '--build-arg', `BASE_IMAGE=${ctx.baseImage}`, '-t', `jobmesh-build-cache:${stage}`, '.'], { cwd: root, env, timeoutMs: minutes(30) });
  }
  const build = await ctx.compose!.run(['build', '--build-arg', `BASE_IMAGE=${ctx.baseImage}`], minutes(30));
  await writeFile(join(outDir, 'build.log'), build);
  log(`images built in ${((Date.now() - started) / 1000).toFixed(0)} s on ${ctx.baseImage}`);
  for (const service of appServices) {
    const image = `jobmesh-${service}:dev`;
    const inside = await commandOutput('docker', ['run', '--rm', '--entrypoint', 'sh', image, '-c',
      'id -un; for p in typescript ts-proto nx @bufbuild/buf uvu node kubernetes-models; do test -e node_modules/$p && echo "dev:$p"; done; test -e tools && echo tools; ls libs/contracts/src/generated'], { env });
    assert.match(inside, /^jobmesh\n/, `${image} runs as jobmesh`);
    assert.not.match(inside, /dev:|^tools$/m, `${image} carries no devDependencies and no tools/: ${inside}`);
    assert.match(inside, /descriptor\.binpb/, `${image} has the generated contracts`);
  }
});

test('docker-compose up -d: every service becomes healthy', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const started = Date.now();
  await ctx.compose!.run(['up', '-d', '--no-build'], minutes(5));
  await waitForHealthy(ctx.compose!, ctx.docker!.env, services.filter((s) => s !== 'jaeger'), minutes(5));
  log(`mesh healthy ${((Date.now() - started) / 1000).toFixed(0)} s after up`);
  await new Promise((resolve) => setTimeout(resolve, 5000));
  for (const service of appServices) ctx.rss[service] = { idleMiB: await containerRssMiB(ctx.docker!.env, await ctx.compose!.containerId(service)) };
  // The console serves its bundled page on its published port.
  const consoleAddress = (await ctx.compose!.run(['port', 'console', '8080'])).trim();
  const page = await fetch(`http://${consoleAddress}/`);
  assert.is(page.status, 200, `console at ${consoleAddress}`);
  assert.match(await page.text(), /<script/);
  ctx.address = (await ctx.compose!.run(['port', 'orchestrator', '50051'])).trim();
  const tokens = await ctx.compose!.run(['exec', '-T', 'orchestrator', 'cat', '/data/orchestrator/tokens']);
  ctx.token = /^admin (\S+)$/m.exec(tokens)?.[1] ?? '';
  assert.ok(ctx.token, 'the first start wrote an admin token');
});

test('the CLI submits through the published port with JOBMESH_TOKEN and follows the job to succeeded', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const { stdout, stderr } = await runCommand(join(root, 'node_modules/.bin/node'), [
    join(root, 'apps/cli/src/main.ts'), 'submit', '--repo', 'file:///srv/repos/demo', '--commit', ctx.commit, '--runs-on', 'local', '--follow', '--',
    'cat README; id -un; echo hello from compose',
  ], { env: { JOBMESH_ADDR: ctx.address, JOBMESH_TOKEN: ctx.token }, timeoutMs: minutes(3) });
  assert.match(stdout, /checked out by fsops in a container/);
  assert.match(stdout, /^jobmesh$/m, 'the job runs as the unprivileged user of the vm-runner container');
  assert.match(stdout, /hello from compose/);
  assert.match(stderr + stdout, /job \S+ succeeded/);
  // What the labels look like in the container (the qemu label's state is reported, not asserted).
  const labels = await commandOutput(join(root, 'node_modules/.bin/node'), [join(root, 'apps/cli/src/main.ts'), 'labels'], { env: { JOBMESH_ADDR: ctx.address, JOBMESH_TOKEN: ctx.token } });
  log(`jobmesh labels:\n${labels.replace(/^/gm, '    ')}`);
  assert.match(labels, /\blocal\b/);
});

test('reflection alone: list, describe and call SubmitJob; the job finishes although persistence is killed mid-job', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const client: ReflectionClient = createReflectionClient(ctx.address);
  const auth = new Metadata();
  auth.set('authorization', `Bearer ${ctx.token}`);
  try {
    assert.ok((await client.listServices()).includes('jobmesh.orchestrator.v1.JobService'));
    const described = await client.describe('jobmesh.orchestrator.v1.JobService.SubmitJob');
    assert.is(described.descriptor.kind, 'rpc');
    const anonymous = await client.invokeUnary('jobmesh.orchestrator.v1.JobService/GetJob', { requestId: randomUUID() }).catch((error: { code?: number }) => error);
    assert.is((anonymous as { code?: number }).code, 16, 'no token: UNAUTHENTICATED');

    const requestId = randomUUID();
    await client.invokeUnary('jobmesh.orchestrator.v1.JobService/SubmitJob', {
      requestId, repoUrl: 'file:///srv/repos/demo', commitSha: ctx.commit, runsOn: 'local', script: 'echo started; sleep 12; echo survived',
    }, auth);
    const stateOf = async () => ((await client.invokeUnary('jobmesh.orchestrator.v1.JobService/GetJob', { requestId }, auth)) as { job?: { state?: string } }).job?.state ?? '';
    await until(async () => /RUNNING/.test(await stateOf()), minutes(2), 'job running');

    // `docker kill` is a manual stop, after which `restart: unless-stopped` does not restart a
    // container; a crash is the main process dying: SIGKILL to the container's init from the host.
    const persistence = await ctx.compose!.containerId('persistence');
    const pid = await commandOutput('docker', ['inspect', '--format', '{{.State.Pid}}', persistence], { env: ctx.docker!.env });
    process.kill(Number(pid), 'SIGKILL');
    log('persistence killed (SIGKILL to its init) while the job runs');
    await until(async () => Number(await commandOutput('docker', ['inspect', '--format', '{{.RestartCount}}', persistence], { env: ctx.docker!.env })) > 0, minutes(1), 'compose restarts persistence');
    await waitForHealthy(ctx.compose!, ctx.docker!.env, ['persistence'], minutes(3));

    await until(async () => /SUCCEEDED|FAILED|CANCELLED|TIMED_OUT/.test(await stateOf().catch(() => '')), minutes(4), 'job ends');
    assert.match(await stateOf(), /SUCCEEDED/);
    const chunks = await client.invokeServerStream('jobmesh.orchestrator.v1.JobService/StreamJobLogs', { requestId, follow: false }, auth) as Array<{ data?: string }>;
    const text = chunks.map((chunk) => Buffer.from(chunk.data ?? '', 'base64').toString()).join('');
    assert.match(text, /started[\s\S]*survived/);
  } finally {
    client.close();
  }
});

test('a small load (12 jobs at once, 4 slots) all succeed; RSS idle and after it recorded for the Kubernetes limits', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const client = createReflectionClient(ctx.address);
  const auth = new Metadata();
  auth.set('authorization', `Bearer ${ctx.token}`);
  try {
    const ids = Array.from({ length: 12 }, () => randomUUID());
    await Promise.all(ids.map((requestId, n) => client.invokeUnary('jobmesh.orchestrator.v1.JobService/SubmitJob', {
      requestId, repoUrl: 'file:///srv/repos/demo', commitSha: ctx.commit, runsOn: 'local', script: `seq 1 2000 | sed 's/^/line ${n} /'`,
    }, auth)));
    const stateOf = async (requestId: string) => ((await client.invokeUnary('jobmesh.orchestrator.v1.JobService/GetJob', { requestId }, auth)) as { job?: { state?: string } }).job?.state ?? '';
    await until(async () => (await Promise.all(ids.map(stateOf))).every((state) => /SUCCEEDED|FAILED|CANCELLED|TIMED_OUT/.test(state)), minutes(5), 'the jobs end');
    assert.equal([...new Set(await Promise.all(ids.map(stateOf)))], ['JOB_STATE_SUCCEEDED']);
  } finally {
    client.close();
  }
  for (const service of appServices) ctx.rss[service]!.loadedMiB = await containerRssMiB(ctx.docker!.env, await ctx.compose!.containerId(service));
  await writeFile(join(outDir, 'rss.json'), JSON.stringify(ctx.rss, null, 2) + '\n');
  log(`VmRSS MiB (idle / after the load): ${appServices.map((s) => `${s} ${ctx.rss[s]!.idleMiB}/${ctx.rss[s]!.loadedMiB}`).join(', ')}`);
});

test('the services export their spans to the trace viewer', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  const address = (await ctx.compose!.run(['port', 'jaeger', '16686'])).trim();
  if (ctx.standins.some((line) => line.startsWith('jaegertracing/all-in-one') && line.includes('stand-in'))) {
    const counts = await (await fetch(`http://${address}/`)).json() as { exports: number };
    assert.ok(counts.exports > 0, 'the OTLP sink received trace exports');
  } else {
    const found = await (await fetch(`http://${address}/api/services`)).json() as { data?: string[] };
    assert.ok(found.data?.includes('orchestrator'), 'Jaeger knows the orchestrator');
  }
});

test('docker-compose down -v leaves no container, network or volume; dockerd stops and its files go', async (ctx) => {
  if (ctx.skip || ctx.broken) return skipTest(ctx.skip ?? `an earlier step failed: ${ctx.broken}`);
  await saveComposeLog(ctx.compose!);
  await ctx.compose!.run(['down', '-v', '--remove-orphans']);
  ctx.stopped = true;
  assert.equal(await composeProjectLeftovers(ctx.docker!.env, ctx.compose!.project), []);
  await runCommand('docker', ['image', 'prune', '-f'], { env: ctx.docker!.env });
  const left = await ctx.docker!.stop();
  assert.equal(left, [], 'no process of the private dockerd is left');
  ctx.docker = undefined;
  log(`compose log: ${join(outDir, 'compose.log')}`);
});

suiteOf.run();
