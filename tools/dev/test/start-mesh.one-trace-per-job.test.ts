import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** A free port on 127.0.0.1 (bound, read, released). */
const freePort = () => new Promise<number>((resolve, reject) => {
  const server = createNetServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  }).on('error', reject);
});

interface SeenSpan { service: string; scope: string; name: string; traceId: string }

/** An OTLP/HTTP JSON receiver: what every service exports its spans to. */
async function startOtlpReceiver() {
  const spans: SeenSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        const payload = JSON.parse(body) as { resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans?: { scope?: { name?: string }; spans?: { traceId: string; name: string }[] }[] }[] };
        for (const rs of payload.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spans.push({ service, scope: ss.scope?.name ?? '', name: span.name, traceId: span.traceId });
        }
      } catch { /* not JSON: ignored */ }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { spans, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(r)) };
}

const test = suite('npm start + the CLI: a job runs through the whole mesh and is one trace');

test('the launcher starts all four services on embedded Postgres; the CLI runs a job; its trace holds spans of every service and SQL', async () => {
  const receiver = await startOtlpReceiver();
  const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-npm-start-'));
  const ports = { JOBMESH_ORCHESTRATOR_ADDR: await freePort(), JOBMESH_PERSISTENCE_ADDR: await freePort(), JOBMESH_VMRUNNER_ADDR: await freePort(), JOBMESH_FSOPS_ADDR: await freePort() };
  const env = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, `127.0.0.1:${v}`])),
    JOBMESH_DATA_DIR: dataDir,
    DATABASE_URL: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  delete (env as Record<string, string | undefined>).DATABASE_URL;
  const launcher = spawn(process.execPath, [join(root, 'tools/dev/src/start-mesh.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  launcher.stdout.on('data', (d) => (output += d));
  launcher.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
  try {
    await withDeadline((async () => {
      while (!output.includes('jobmesh is up')) {
        if (launcher.exitCode !== null) throw new Error(`launcher exited:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })(), 180_000, 'mesh up');
    for (const name of ['persistence', 'vm-runner', 'fsops', 'orchestrator']) assert.match(output, new RegExp(`${name} +127\\.0\\.0\\.1:\\d+`));

    const cli = join(root, 'apps/cli/bin/jobmesh');
    const cliEnv = { ...process.env, JOBMESH_ADDR: `127.0.0.1:${ports.JOBMESH_ORCHESTRATOR_ADDR}`, NO_COLOR: '1' };
    const commit = (await run('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout.trim();
    const submitted = await withDeadline(run(cli, ['submit', '--repo', `file://${root}`, '--commit', commit, '--runs-on', 'local', '--follow', '--', 'echo traced job; ls package.json'], { env: cliEnv }), 120_000, 'cli submit --follow');
    assert.match(submitted.stdout, /traced job/);
    assert.match(submitted.stdout, /package\.json/);
    assert.match(submitted.stderr, /succeeded \(exit code 0\)/);
    const id = /submitted job ([0-9a-f-]{36})/.exec(submitted.stderr)![1]!;
    const shown = JSON.parse((await run(cli, ['show', id, '--json'], { env: cliEnv })).stdout) as { traceId: string; state: number };
    assert.ok(/^[0-9a-f]{32}$/.test(shown.traceId), 'GetJob returns the trace id');

    const inTrace = () => receiver.spans.filter((s) => s.traceId === shown.traceId);
    await withDeadline((async () => {
      const services = () => new Set(inTrace().map((s) => s.service));
      while (!['orchestrator', 'persistence', 'vm-runner', 'fsops'].every((s) => services().has(s)) || !inTrace().some((s) => s.scope.includes('pg'))) {
        await new Promise((r) => setTimeout(r, 200));
      }
    })(), 30_000, 'spans of every service in the job trace').catch((error: Error) => {
      const summary = [...new Set(inTrace().map((s) => `${s.service}/${s.scope}`))].join(', ');
      throw new Error(`${error.message}; seen in the trace: ${summary}; all services: ${[...new Set(receiver.spans.map((s) => s.service))].join(', ')}`);
    });
    const spans = inTrace();
    assert.ok(spans.some((s) => s.service === 'orchestrator' && s.name.startsWith('workflow ')), 'the workflow span');
    assert.ok(spans.some((s) => s.service === 'orchestrator' && s.name === 'step vm.exec'), 'step spans');
    assert.ok(spans.some((s) => s.service === 'persistence' && s.scope.includes('pg')), 'pg spans of persistence');
  } finally {
    launcher.kill('SIGINT');
    const code = await withDeadline(exited, 60_000, 'launcher stops').catch(() => (launcher.kill('SIGKILL'), null));
    assert.is(code, 0, `Ctrl-C stops everything cleanly:\n${output.slice(-2000)}`);
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
