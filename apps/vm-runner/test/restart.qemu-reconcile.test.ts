import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { ensureTestImage } from '@jobmesh/vm-image';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  collectExec, eventually, imageCacheDir, isProcessAlive, killProcessesMentioning, prepareRequest, processesMentioning,
  qemuCatalog, spawnVmRunner, writeCatalog, type VmRunnerProcess,
} from './support/index.ts';

interface Ctx { p: TestPersistence; stateDir: string; env: Record<string, string>; runners: VmRunnerProcess[] }
const test = suite<Ctx>('vm-runner restart reconciliation (live qemu VM)');
test.before(async (ctx) => {
  await withDeadline(ensureTestImage({ cacheDir: imageCacheDir }), 300_000, 'test image');
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-qrestart-'));
  ctx.env = {
    JOBMESH_PERSISTENCE_ADDR: ctx.p.address,
    JOBMESH_VMRUNNER_STATE_DIR: ctx.stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(qemuCatalog, ctx.stateDir),
    JOBMESH_VMRUNNER_IMAGE_CACHE_DIR: imageCacheDir,
    JOBMESH_VMRUNNER_ACCEL: 'tcg',
    JOBMESH_VMRUNNER_HOST: 'qemu-restart-host',
  };
  ctx.runners = [];
});
test.after(async (ctx) => {
  for (const runner of ctx.runners ?? []) runner.child.kill('SIGKILL');
  if (ctx.stateDir) killProcessesMentioning(ctx.stateDir);
  await ctx.p?.stop();
  if (ctx.stateDir) await rm(ctx.stateDir, { recursive: true, force: true });
});

async function start(ctx: Ctx) {
  const runner = spawnVmRunner(ctx.env);
  ctx.runners.push(runner);
  const port = await withDeadline(runner.serving, 30_000, 'vm-runner serving');
  return { runner, client: createClient(VmRunnerServiceService, `127.0.0.1:${port}`) };
}

test('a qemu VM survives a SIGKILLed vm-runner: the next one re-attaches it, Exec re-joins the job, Destroy cleans up', async (ctx) => {
  const first = await start(ctx);
  const c1 = first.client;
  const { vm } = await withDeadline(c1.prepare(prepareRequest({ runsOn: 'qemu', script: 'echo before; sleep 3; echo after; exit 5' }), { deadlineMs: 60_000 }), 60_000, 'prepare');
  const id = vm!.id;
  const pid = (await withDeadline(c1.start({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'start')).vm!.pid;
  await withDeadline(c1.waitReady({ vmId: id, timeoutMs: 60_000 }, { deadlineMs: 65_000 }), 65_000, 'wait ready');
  await withDeadline(collectExec(c1.exec({ vmId: id, timeoutMs: 0, killGraceMs: 0, rejoin: false }), async () => {
    first.runner.child.kill('SIGKILL');
    await first.runner.exited;
  }), 60_000, 'exec until the kill').catch(() => undefined);
  c1.close();
  assert.ok(isProcessAlive(pid), 'qemu outlived vm-runner');

  const second = await start(ctx);
  const c2 = second.client;
  const reattached = (await c2.getVm({ vmId: id })).vm!;
  assert.is(reattached.state, VmState.VM_STATE_READY, 'the executing VM was re-attached and is READY');
  assert.is(reattached.pid, pid, 'same qemu process');
  assert.ok(reattached.message.includes('re-attached'), reattached.message);
  const rejoined = await withDeadline(collectExec(c2.exec({ vmId: id, timeoutMs: 60_000, killGraceMs: 0, rejoin: false })), 65_000, 'exec re-joins');
  assert.is(rejoined.result!.exitCode, 5, 'the job’s exit code reached the new vm-runner');

  assert.ok(await eventually(async () => {
    const { events } = await ctx.p.clients.vms.listVmEvents({ requestId: id });
    return events.some((e) => e.message.includes('re-attached') && e.host === 'qemu-restart-host');
  }), 'the re-attachment is recorded in persistence');

  await withDeadline(c2.destroy({ vmId: id }, { deadlineMs: 30_000 }), 30_000, 'destroy');
  assert.ok(await eventually(() => !isProcessAlive(pid)), 'qemu is gone');
  assert.not.ok(existsSync(join(ctx.stateDir, 'vms', id)), 'no files left');
  assert.equal(processesMentioning(ctx.stateDir), []);
  second.runner.child.kill('SIGTERM');
  assert.is(await withDeadline(second.runner.exited, 15_000, 'graceful exit'), 0);
  c2.close();
});

test.run();
