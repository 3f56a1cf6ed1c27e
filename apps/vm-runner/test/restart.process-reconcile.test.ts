import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { VmRecord } from '../src/vms/vm-record.ts';
import { collectExec, eventually, isProcessAlive, prepareRequest, processCatalog, spawnVmRunner, writeCatalog, type VmRunnerProcess } from './support/index.ts';

interface Ctx { p: TestPersistence; stateDir: string; env: Record<string, string>; runners: VmRunnerProcess[]; pids: number[] }
const test = suite<Ctx>('vm-runner restart reconciliation (process backend)');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-restart-'));
  ctx.env = {
    JOBMESH_PERSISTENCE_ADDR: ctx.p.address,
    JOBMESH_VMRUNNER_STATE_DIR: ctx.stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(processCatalog, ctx.stateDir),
    JOBMESH_VMRUNNER_STOP_GRACE_MS: '500',
    JOBMESH_VMRUNNER_HOST: 'restart-host',
    JOBMESH_LOG_LEVEL: 'info',
  };
  ctx.runners = [];
  ctx.pids = [];
});
test.after(async (ctx) => {
  for (const runner of ctx.runners ?? []) runner.child.kill('SIGKILL');
  for (const pid of ctx.pids ?? []) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await ctx.p?.stop();
  if (ctx.stateDir) await rm(ctx.stateDir, { recursive: true, force: true });
});

async function start(ctx: Ctx) {
  const runner = spawnVmRunner(ctx.env);
  ctx.runners.push(runner);
  const port = await withDeadline(runner.serving, 20_000, 'vm-runner serving');
  return { runner, client: createClient(VmRunnerServiceService, `127.0.0.1:${port}`) };
}

test('after SIGKILL, a restarted vm-runner kills the orphaned job, keeps ready VMs, finishes destroys and removes orphans', async (ctx) => {
  const first = await start(ctx);
  const c1 = first.client;
  const ready = async (script: string) => {
    const { vm } = await c1.prepare(prepareRequest({ script }));
    await c1.start({ vmId: vm!.id });
    await c1.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
    return vm!;
  };
  const busy = await withDeadline(ready('echo $$ > job.pid; echo running; sleep 60'), 10_000, 'busy vm');
  const idle = await withDeadline(ready('echo idle'), 10_000, 'idle vm');
  const halfDestroyed = (await c1.prepare(prepareRequest({ runsOn: 'tiny' }))).vm!;

  let jobPid = 0;
  await withDeadline(collectExec(c1.exec({ vmId: busy.id, timeoutMs: 0, killGraceMs: 0, rejoin: false }), async () => {
    jobPid = Number((await readFile(join(busy.overlayPath, 'job.pid'), 'utf8')).trim());
    ctx.pids.push(jobPid);
    first.runner.child.kill('SIGKILL');
    await first.runner.exited;
  }), 15_000, 'exec until the kill').catch(() => undefined);
  c1.close();
  assert.ok(jobPid > 0 && isProcessAlive(jobPid), 'the job outlived vm-runner');

  // A Destroy cut short after its record was written, a Prepare cut short, and a folder nobody knows.
  const vmsDir = join(ctx.stateDir, 'vms');
  const recordOf = async (id: string) => JSON.parse(await readFile(join(vmsDir, `${id}.json`), 'utf8')) as VmRecord;
  await writeFile(join(vmsDir, `${halfDestroyed.id}.json`), JSON.stringify({ ...(await recordOf(halfDestroyed.id)), state: 'DESTROYED' }));
  const preparing = { ...(await recordOf(idle.id)), id: randomUUID(), key: 'cut-short', state: 'PREPARING' };
  preparing.vmDir = join(vmsDir, preparing.id);
  await mkdir(preparing.vmDir);
  await writeFile(join(vmsDir, `${preparing.id}.json`), JSON.stringify(preparing));
  const orphan = join(vmsDir, randomUUID());
  await mkdir(join(orphan, 'workspace'), { recursive: true });
  await writeFile(join(vmsDir, `${randomUUID()}.json.${randomUUID()}.tmp`), '{"half":');

  const second = await start(ctx);
  const c2 = second.client;
  assert.ok(await eventually(() => !isProcessAlive(jobPid)), 'the orphaned job was killed');
  assert.is((await c2.getVm({ vmId: busy.id })).vm!.state, VmState.VM_STATE_READY, 'the interrupted VM is READY again');
  assert.is((await c2.getVm({ vmId: idle.id })).vm!.state, VmState.VM_STATE_READY);
  assert.is((await c2.getVm({ vmId: halfDestroyed.id })).vm!.state, VmState.VM_STATE_DESTROYED);
  assert.not.ok(existsSync(halfDestroyed.overlayPath), 'the cut-short Destroy was finished');
  await expectStatus(c2.getVm({ vmId: preparing.id }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  assert.not.ok(existsSync(preparing.vmDir), 'the cut-short Prepare was cleaned up');
  assert.not.ok(existsSync(orphan), 'the orphan folder was removed');
  assert.is((await c2.capacity({})).labels.find((l) => l.label === 'tiny')!.slotsInUse, 0);

  const rerun = await withDeadline(collectExec(c2.exec({ vmId: busy.id, timeoutMs: 300, killGraceMs: 100, rejoin: false })), 15_000, 'exec after restart');
  assert.is(rerun.result!.timedOut, true);
  assert.is(rerun.stdout, 'running\n');

  assert.ok(await eventually(async () => {
    const { events } = await ctx.p.clients.vms.listVmEvents({ requestId: busy.id });
    return events.some((e) => e.state === VmState.VM_STATE_READY && e.message.includes('restart'));
  }), 'the reconciled state reached persistence');

  for (const vm of [busy, idle]) await c2.destroy({ vmId: vm.id });
  const left = (await c2.listVms({ states: [], jobRequestId: '', key: '', pageSize: 1000, pageToken: '' })).vms.filter((v) => v.state !== VmState.VM_STATE_DESTROYED);
  assert.equal(left, []);
  second.runner.child.kill('SIGTERM');
  assert.is(await withDeadline(second.runner.exited, 15_000, 'graceful exit'), 0);
  c2.close();
});

test.run();
