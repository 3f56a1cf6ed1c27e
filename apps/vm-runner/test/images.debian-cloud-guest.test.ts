import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { defaultImageCacheDir, ensureDebianImage, type DebianImage } from '@jobmesh/vm-image';
import { meshLoopbackHost } from '@jobmesh/config';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectExec, killProcessesMentioning, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

type Ctx = { p: TestPersistence; r?: TestVmRunner; image?: DebianImage; problem?: string; http: Server; port: number; mesh: Server; meshPort: number; workspace: string };
const test = suite<Ctx>('a stock Debian 12 cloud image: cloud-init starts the agent from the seed, the job has the NAT network');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  try {
    ctx.image = await withDeadline(ensureDebianImage({ cacheDir: defaultImageCacheDir() }), 900_000, 'debian image');
  } catch (error) {
    ctx.problem = error instanceof Error ? error.message : String(error);
    return;
  }
  ctx.http = createServer((_req, res) => res.end('served by the host\n'));
  await new Promise<void>((resolve) => ctx.http.listen(0, '127.0.0.1', resolve));
  ctx.port = (ctx.http.address() as AddressInfo).port;
  // A stand-in for the mesh's own services, on the loopback address they listen on by default.
  ctx.mesh = createServer((_req, res) => res.end('the mesh\n'));
  await new Promise<void>((resolve) => ctx.mesh.listen(0, meshLoopbackHost, resolve));
  ctx.meshPort = (ctx.mesh.address() as AddressInfo).port;
  ctx.workspace = await mkdtemp(join(tmpdir(), 'jobmesh-debian-ws-'));
  await writeFile(join(ctx.workspace, 'input.txt'), 'from the workspace\n');
  ctx.r = await withDeadline(startTestVmRunner({
    persistenceAddress: ctx.p.address,
    catalog: { labels: (['nat', 'host-only'] as const).map((network) => ({
      name: network === 'nat' ? 'debian-12' : 'debian-12-host-only', aliases: [], backend: 'qemu' as const, slots: 1, memoryMb: 1024, cpus: 1, network, readyTimeoutMs: 300_000,
      image: { cloudInit: true as const, disk: ctx.image!.diskPath, kernel: ctx.image!.kernelPath, initrd: ctx.image!.initrdPath, cmdline: ctx.image!.manifest.kernelCmdline },
    })) },
  }), 60_000, 'start vm-runner');
});
test.after(async (ctx) => {
  // qemu runs detached (it outlives vm-runner by design): a failed test must not leave a guest behind.
  if (ctx.r) killProcessesMentioning(ctx.r.stateDir);
  await ctx.r?.dispose();
  await ctx.p?.stop();
  ctx.http?.close();
  ctx.mesh?.close();
  if (ctx.workspace) await rm(ctx.workspace, { recursive: true, force: true });
});

test('prepare → ready → exec (os-release, uname, the workspace, a file from the host through NAT, exit 3) → collect → destroy', async (ctx) => {
  if (!ctx.r || !ctx.image) return skipTest(`no Debian image: ${ctx.problem} (npm run image:debian)`);
  const c = ctx.r.client;
  const script = [
    '. /etc/os-release; echo "os=$PRETTY_NAME"',
    'echo "kernel=$(uname -r)"',
    'cat input.txt',
    `curl -fsS http://10.0.2.2:${ctx.port}/hello`,
    // The mesh listens on 127.0.0.2: NAT maps 10.0.2.2 to the host's 127.0.0.1 only.
    `if curl -fsS --max-time 5 http://10.0.2.2:${ctx.meshPort}/ >/dev/null 2>&1; then echo reached-the-mesh; else echo mesh-unreachable; fi`,
    'mkdir -p out; echo made-in-debian > out/r.txt',
    'exit 3',
  ].join('\n');
  const { vm } = await c.prepare(prepareRequest({ runsOn: 'debian-12', workspacePath: ctx.workspace, script, env: { SECRET: 'x' } }));
  await c.start({ vmId: vm!.id });
  const started = Date.now();
  await withDeadline(c.waitReady({ vmId: vm!.id, timeoutMs: 0 }, { deadlineMs: 320_000 } as never), 330_000, 'debian guest ready');
  const readyMs = Date.now() - started;
  const run = await withDeadline(collectExec(c.exec({ vmId: vm!.id, timeoutMs: 120_000, killGraceMs: 0, rejoin: true })), 150_000, 'exec');
  assert.is(run.result?.exitCode, 3, run.stdout + run.stderr);
  assert.match(run.stdout, /os=Debian GNU\/Linux 12 \(bookworm\)/);
  assert.match(run.stdout, new RegExp(`kernel=${ctx.image.manifest.kernelVersion.replace(/[.+]/g, '\\$&')}`));
  assert.match(run.stdout, /from the workspace\nserved by the host\nmesh-unreachable\n/);
  const out = await c.collectOutputs({ vmId: vm!.id, patterns: ['out/**'], maxFiles: 0, maxBytes: 0 });
  assert.equal(out.files.map((f) => [f.path, f.sizeBytes]), [['out/r.txt', 15]]);
  await c.destroy({ vmId: vm!.id });
  process.stdout.write(`debian guest ready in ${readyMs} ms\n`);
});

test('network host-only (restrict=on): the guest has its NIC and address, but reaches nothing, the host included', async (ctx) => {
  if (!ctx.r || !ctx.image) return skipTest(`no Debian image: ${ctx.problem} (npm run image:debian)`);
  const c = ctx.r.client;
  const script = [
    'ip -4 -o addr show scope global | grep -q "inet 10.0.2." && echo has-address',
    `if curl -fsS --max-time 5 http://10.0.2.2:${ctx.port}/hello; then echo reached-host; else echo host-unreachable; fi`,
  ].join('\n');
  const { vm } = await c.prepare(prepareRequest({ runsOn: 'debian-12-host-only', script }));
  await c.start({ vmId: vm!.id });
  await withDeadline(c.waitReady({ vmId: vm!.id, timeoutMs: 0 }, { deadlineMs: 320_000 } as never), 330_000, 'debian guest ready');
  const run = await withDeadline(collectExec(c.exec({ vmId: vm!.id, timeoutMs: 120_000, killGraceMs: 0, rejoin: true })), 150_000, 'exec');
  await c.destroy({ vmId: vm!.id });
  assert.is(run.result?.exitCode, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /has-address\nhost-unreachable\n/);
});

test.run();
