import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { createGrpcServer, defineService, type GrpcServer } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeDevCertificates, type DevCertificates } from '../../../tools/certs/src/make-dev-certificates.ts';

// The real CLI (`jobmesh jobs`) against a real server listening on every interface, called
// through this host's loopback and through its outside address.
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
type Ctx = { dir: string; certs: DevCertificates; plain: GrpcServer; plainPort: number; secure: GrpcServer; securePort: number; headers: string[] };
const test = suite<Ctx>('the CLI warns before sending a bearer token in plaintext off this machine');
const token = 'cli-token-0123456789abcdef';

async function serve(ctx: Ctx, tls?: { certFile: string; keyFile: string }): Promise<[GrpcServer, number]> {
  const server = createGrpcServer({
    logger: createLogger('test', { sink: () => {} }), tls,
    services: [defineService('jobmesh.orchestrator.v1.JobService', JobServiceService, new Proxy({}, { get: () => async () => ({ jobs: [], nextPageToken: '' }) }) as never)],
    authorize: (context) => void ctx.headers.push(String(context.metadata.get('authorization')[0] ?? '')),
  });
  const port = await withDeadline(server.listen('0.0.0.0:0'), 5000, 'listen');
  server.setServing(true);
  return [server, port];
}

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-cli-plaintext-'));
  ctx.certs = await withDeadline(makeDevCertificates(ctx.dir), 60_000, 'certificates');
  ctx.headers = [];
  [ctx.plain, ctx.plainPort] = await serve(ctx);
  [ctx.secure, ctx.securePort] = await serve(ctx, { certFile: ctx.certs.services.orchestrator.cert, keyFile: ctx.certs.services.orchestrator.key });
});
test.after(async (ctx) => {
  for (const server of [ctx.plain, ctx.secure]) await server?.shutdown(100);
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Runs `jobmesh jobs` with `env`; resolves its exit code and stderr. */
function runCli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [main, 'jobs'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (d) => (stderr += d));
  return withDeadline(new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr }))), 30_000, 'jobmesh jobs');
}

const outsideAddress = () => Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test('a token in plaintext to an outside address: a warning on stderr naming the address, and the command still runs', async (ctx) => {
  const outside = outsideAddress();
  if (!outside) return skipTest('this host has no non-loopback IPv4 address to call');
  const result = await runCli({ JOBMESH_ADDR: `${outside}:${ctx.plainPort}`, JOBMESH_TOKEN: token });
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stderr, /warning: JOBMESH_TOKEN goes in plaintext to /);
  assert.ok(result.stderr.includes(`${outside}:${ctx.plainPort}`) && result.stderr.includes('JOBMESH_TLS_CA'), result.stderr);
  assert.not.ok(result.stderr.includes(token), 'the warning never shows the token');
  assert.is(ctx.headers.at(-1), `Bearer ${token}`);
});

test('no warning: over loopback, over TLS to the outside address, or without a token', async (ctx) => {
  const outside = outsideAddress();
  const runs: Record<string, string>[] = [
    { JOBMESH_ADDR: `127.0.0.1:${ctx.plainPort}`, JOBMESH_TOKEN: token },
    { JOBMESH_ADDR: `localhost:${ctx.plainPort}`, JOBMESH_TOKEN: token },
    ...(outside ? [
      { JOBMESH_ADDR: `${outside}:${ctx.plainPort}` },
      { JOBMESH_ADDR: `${outside}:${ctx.securePort}`, JOBMESH_TOKEN: token, JOBMESH_TLS_CA: ctx.certs.caCert, JOBMESH_TLS_SERVER_NAME: 'localhost' },
    ] : []),
  ];
  for (const env of runs) {
    const result = await runCli(env);
    assert.is(result.code, 0, result.stderr);
    assert.not.match(result.stderr, /warning/, JSON.stringify(env));
  }
});

test.run();
