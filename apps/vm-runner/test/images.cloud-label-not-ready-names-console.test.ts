import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestImage } from '@jobmesh/vm-image';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { imageCacheDir, killProcessesMentioning, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

const test = suite<{ p: TestPersistence; r: TestVmRunner; dir: string }>('a cloud-image label whose guest never runs the agent fails within its ready timeout, naming the label and the console');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  const image = await withDeadline(ensureTestImage({ cacheDir: imageCacheDir }), 300_000, 'test image');
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-cloud-'));
  // A kernel that boots and never looks at its seed (no cloud-init, no agent): a shell as init.
  ctx.r = await withDeadline(startTestVmRunner({
    persistenceAddress: ctx.p.address,
    catalog: { labels: [{ name: 'no-cloud-init', aliases: [], backend: 'qemu', slots: 1, memoryMb: 256, cpus: 1, network: 'none', readyTimeoutMs: 15_000,
      image: { cloudInit: true, kernel: image.kernelPath, initrd: image.initrdPath, disk: image.baseDiskPath, cmdline: 'console=ttyS0 panic=-1 rdinit=/bin/sh' } }] },
  }), 60_000, 'start vm-runner');
});
test.after(async (ctx) => {
  // qemu runs detached (it outlives vm-runner by design): a failed test must not leave a guest behind.
  if (ctx.r) killProcessesMentioning(ctx.r.stateDir);
  await ctx.r?.dispose();
  await ctx.p?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('Prepare (raw base detected), Start, WaitReady: DEADLINE_EXCEEDED READY_TIMEOUT with the label, the timeout and the console tail', async ({ r }) => {
  const { vm } = await withDeadline(r.client.prepare(prepareRequest({ runsOn: 'no-cloud-init', env: { SECRET: 'x' } })), 30_000, 'prepare');
  await r.client.start({ vmId: vm!.id });
  const started = Date.now();
  // The label's 15 s wins over the caller's 60 s: it knows its image. (8 s was too short for the
  // kernel to print anything when the machine ran drills, benchmarks and image builds at once.)
  const error = await withDeadline(expectStatus(r.client.waitReady({ vmId: vm!.id, timeoutMs: 60_000 }, { deadlineMs: 40_000 }), status.DEADLINE_EXCEEDED, { reason: 'READY_TIMEOUT' }), 45_000, 'wait ready');
  const waited = Date.now() - started;
  assert.ok(waited >= 14_500 && waited < 40_000, `waited ${waited} ms`);
  assert.match(error.message, /label no-cloud-init was not ready within 15000 ms; its console ends with:/);
  assert.match(error.message, /Linux|Run \/bin\/sh|sh:|#/, 'the kernel printed on the serial console');

  const live = await r.client.readConsole({ vmId: vm!.id, maxBytes: 0 });
  assert.match(live.text, /Run \/bin\/sh as init process/, live.text.slice(-600));
  const short = await r.client.readConsole({ vmId: vm!.id, maxBytes: 64 });
  assert.ok(short.truncated && Buffer.byteLength(short.text) <= 64);
  await r.client.destroy({ vmId: vm!.id });
  const kept = await r.client.readConsole({ vmId: vm!.id, maxBytes: 0 });
  assert.match(kept.text, /Run \/bin\/sh as init process/, 'the console outlives the VM');
  await expectStatus(r.client.readConsole({ vmId: vm!.id, maxBytes: 2_000_000 }), status.INVALID_ARGUMENT, { field: 'max_bytes' });
  await expectStatus(r.client.readConsole({ vmId: '00000000-0000-4000-8000-000000000000', maxBytes: 0 }), status.NOT_FOUND);
});

test.run();
