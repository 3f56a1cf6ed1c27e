import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { createClient } from '@jobmesh/grpc-kit';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogFile } from '../src/catalog/catalog-schema.ts';
import { prepareRequest, spawnVmRunner, startTestVmRunner, writeCatalog, type TestVmRunner } from './support/index.ts';

const catalog: CatalogFile = {
  labels: [
    { name: 'local', aliases: [], backend: 'process', slots: 1 },
    { name: 'nodisk', aliases: [], backend: 'qemu', image: { kernel: '/nonexistent/vmlinuz', initrd: '/nonexistent/initrd', disk: '/nonexistent/disk.qcow2' }, memoryMb: 256, cpus: 1, slots: 1 },
    { name: 'guest', aliases: [], backend: 'qemu', image: { testImage: true }, memoryMb: 256, cpus: 1, slots: 1 },
  ],
};
const test = suite<{ p: TestPersistence; r: TestVmRunner; dir: string }>('labels that cannot run here are reported by Capacity and refused by Prepare at once');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address, catalog }), 60_000, 'start vm-runner');
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-labels-'));
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('a missing image file: Capacity names it with the fix, Prepare is FAILED_PRECONDITION LABEL_UNAVAILABLE', async ({ r }) => {
  const { labels } = await r.client.capacity({});
  const byName = Object.fromEntries(labels.map((l) => [l.label, l]));
  assert.is(byName.local!.unavailableReason, '');
  assert.match(byName.nodisk!.unavailableReason, /kernel of label nodisk \(\/nonexistent\/vmlinuz\) is missing/);
  assert.is(byName.guest!.unavailableReason, '', 'qemu, the kernel and busybox are installed here');
  assert.ok(['probe', 'tcg'].includes(byName.guest!.accelerator) && byName.guest!.acceleratorReason !== '');
  const started = Date.now();
  const error = await expectStatus(r.client.prepare(prepareRequest({ runsOn: 'nodisk' })), status.FAILED_PRECONDITION, { reason: 'LABEL_UNAVAILABLE' });
  assert.match(error.message, /nodisk/);
  assert.ok(Date.now() - started < 5000, 'at once');
  assert.is((await r.client.listVms({ states: [], jobRequestId: '', key: '', pageSize: 1000, pageToken: '' })).vms.length, 0, 'nothing made');
});

test('no qemu on PATH, no kernel for the test image: both named with the apt-get line', async ({ p, dir }) => {
  const env = (name: string, extra: Record<string, string>) => ({
    JOBMESH_PERSISTENCE_ADDR: p.address, JOBMESH_VMRUNNER_STATE_DIR: join(dir, name), JOBMESH_VMRUNNER_OUTPUT_ROOT: join(dir, name, 'outputs'),
    JOBMESH_VMRUNNER_ACCEL: 'tcg', JOBMESH_SHUTDOWN_GRACE_MS: '500', ...extra,
  });
  const catalogPath = await writeCatalog(catalog, dir);
  for (const [name, extra, expected] of [
    ['no-qemu', { PATH: '/nonexistent' }, /qemu-system-x86_64, qemu-img, genisoimage not found on PATH: apt-get install qemu-system-x86 qemu-utils genisoimage/],
    ['no-kernel', { JOBMESH_VMIMAGE_BOOT_DIR: join(dir, 'empty-boot') }, /no kernel with modules found in .*: apt-get install linux-image-amd64/],
  ] as const) {
    const runner = spawnVmRunner(env(name, { ...extra, JOBMESH_VMRUNNER_CATALOG: catalogPath }));
    try {
      const port = await withDeadline(runner.serving, 60_000, `${name} vm-runner serving`);
      const client = createClient(VmRunnerServiceService, `127.0.0.1:${port}`);
      try {
        const guest = (await client.capacity({})).labels.find((l) => l.label === 'guest')!;
        assert.match(guest.unavailableReason, expected, name);
        await expectStatus(client.prepare(prepareRequest({ runsOn: 'guest' })), status.FAILED_PRECONDITION, { reason: 'LABEL_UNAVAILABLE' });
      } finally {
        client.close();
      }
    } finally {
      runner.child.kill('SIGTERM');
      await runner.exited;
    }
  }
});

test.run();
