import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestImage, type GuestImage } from '@jobmesh/vm-image';
import { VmBackend, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  collectExec, eventually, imageCacheDir, isProcessAlive, killProcessesMentioning, prepareRequest, processesMentioning,
  qemuCatalog, sha256File, startTestVmRunner, type TestVmRunner,
} from './support/index.ts';

interface Ctx { p: TestPersistence; r: TestVmRunner; image: GuestImage; baseSha: string; workspace: string }
const test = suite<Ctx>('vm-runner qemu lifecycle (TCG)');
test.before(async (ctx) => {
  ctx.image = await withDeadline(ensureTestImage({ cacheDir: imageCacheDir }), 300_000, 'test image');
  ctx.baseSha = await sha256File(ctx.image.baseDiskPath);
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address, catalog: qemuCatalog, env: { JOBMESH_VMRUNNER_IMAGE_CACHE_DIR: imageCacheDir } }), 20_000, 'start vm-runner');
  ctx.workspace = await mkdtemp(join(tmpdir(), 'jobmesh-ws-'));
  await writeFile(join(ctx.workspace, 'input.txt'), 'from the workspace\n');
});
test.after(async (ctx) => {
  await ctx.r?.stop();
  if (ctx.r) killProcessesMentioning(ctx.r.stateDir); // no qemu outlives the suite, whatever happened
  await ctx.r?.dispose();
  await ctx.p?.stop();
  if (ctx.workspace) await rm(ctx.workspace, { recursive: true, force: true });
});

test('a job boots in a qemu VM, streams stdout and stderr, reports its exit code; Destroy leaves nothing; the base image is untouched', async (ctx) => {
  const c = ctx.r.client;
  const script = 'echo hello; echo oops >&2; cat input.txt; echo "name=$NAME"; echo data > written.txt; exit 3';
  const { vm } = await withDeadline(c.prepare(prepareRequest({ runsOn: 'qemu', script, env: { NAME: 'guest' }, workspacePath: ctx.workspace }), { deadlineMs: 60_000 }), 60_000, 'prepare');
  assert.is(vm!.state, VmState.VM_STATE_PREPARED);
  assert.is(vm!.runsOn, 'debian-tcg');
  assert.is(vm!.backend, VmBackend.VM_BACKEND_QEMU);
  assert.ok(existsSync(vm!.overlayPath) && existsSync(vm!.seedPath), 'overlay and seed exist');
  const id = vm!.id;
  await expectStatus(collectExec(c.exec({ vmId: id, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.FAILED_PRECONDITION, { reason: 'VM_NOT_READY' });

  const started = (await withDeadline(c.start({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'start')).vm!;
  assert.ok(started.pid > 0 && isProcessAlive(started.pid), 'qemu runs');
  assert.is(started.accelerator, 'tcg');
  assert.is((await withDeadline(c.waitReady({ vmId: id, timeoutMs: 60_000 }, { deadlineMs: 65_000 }), 65_000, 'wait ready')).vm!.state, VmState.VM_STATE_READY);

  const run = await withDeadline(collectExec(c.exec({ vmId: id, timeoutMs: 60_000, killGraceMs: 0, rejoin: false })), 65_000, 'exec');
  assert.is(run.stdout, 'hello\nfrom the workspace\nname=guest\n');
  assert.is(run.stderr, 'oops\n');
  assert.is(run.result!.exitCode, 3, 'the non-zero exit code is reported');
  assert.is(run.result!.timedOut, false);
  assert.is((await c.getVm({ vmId: id })).vm!.state, VmState.VM_STATE_READY);

  const stop = await withDeadline(c.stop({ vmId: id, force: false, graceMs: 5000 }, { deadlineMs: 30_000 }), 30_000, 'stop');
  assert.is(stop.vm!.state, VmState.VM_STATE_STOPPED);
  assert.ok(['powerdown', 'quit', 'killed'].includes(stop.stoppedBy), stop.stoppedBy);
  assert.ok(await eventually(() => !isProcessAlive(started.pid)), 'qemu is gone after Stop');

  assert.is((await withDeadline(c.destroy({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'destroy')).vm!.state, VmState.VM_STATE_DESTROYED);
  assert.not.ok(existsSync(join(ctx.r.stateDir, 'vms', id)), 'overlay, seed and run folder removed');
  assert.equal(processesMentioning(ctx.r.stateDir), [], 'no qemu process left');
  assert.is(await sha256File(ctx.image.baseDiskPath), ctx.baseSha, 'the base image is byte-identical');

  assert.ok(await eventually(async () => {
    const stored = await ctx.p.clients.vms.getVm({ requestId: id }).catch(() => undefined);
    return stored?.vm?.state === VmState.VM_STATE_DESTROYED && stored.vm.backend === VmBackend.VM_BACKEND_QEMU && stored.vm.overlayPath === vm!.overlayPath;
  }), 'the VM and its events are in persistence');
  const { events } = await ctx.p.clients.vms.listVmEvents({ requestId: id });
  assert.ok(events.some((e) => e.state === VmState.VM_STATE_READY && e.details.accel === 'tcg'), 'events carry the accelerator');
});

test('output streams live from the guest; a job past its timeout is killed and reported as timed out; a dead machine is noticed', async (ctx) => {
  const c = ctx.r.client;
  const { vm } = await withDeadline(c.prepare(prepareRequest({ runsOn: 'debian-tcg', script: 'echo first; sleep 600; echo never' }), { deadlineMs: 60_000 }), 60_000, 'prepare');
  const id = vm!.id;
  const pid = (await withDeadline(c.start({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'start')).vm!.pid;
  await withDeadline(c.waitReady({ vmId: id, timeoutMs: 60_000 }, { deadlineMs: 65_000 }), 65_000, 'wait ready');
  let stateAtFirstChunk: VmState | undefined;
  // The job only ends through the timeout, so seeing its first line while the VM still
  // executes proves the output is streamed rather than handed over at the end.
  const run = await withDeadline(collectExec(c.exec({ vmId: id, timeoutMs: 4000, killGraceMs: 0, rejoin: false }), async () => {
    stateAtFirstChunk ??= (await c.getVm({ vmId: id })).vm!.state;
  }), 60_000, 'exec');
  assert.is(stateAtFirstChunk, VmState.VM_STATE_EXECUTING);
  assert.is(run.stdout, 'first\n');
  assert.is(run.result!.timedOut, true);
  assert.ok(run.result!.exitCode !== 0);
  // A machine that ends by itself (here: killed behind vm-runner's back) is seen and recorded.
  process.kill(pid, 'SIGKILL');
  assert.ok(await eventually(async () => (await c.getVm({ vmId: id })).vm!.state === VmState.VM_STATE_STOPPED), 'a dead qemu is STOPPED');
  await withDeadline(c.destroy({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'destroy');
  assert.ok(await eventually(() => !isProcessAlive(pid)), 'qemu is gone after Destroy');
  assert.not.ok(existsSync(join(ctx.r.stateDir, 'vms', id)));
  assert.is(await sha256File(ctx.image.baseDiskPath), ctx.baseSha);
});

test.run();
