import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmBackend, VmState, vmStateToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectExec, eventually, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

const test = suite<{ p: TestPersistence; r: TestVmRunner; workspace: string }>('vm-runner process lifecycle');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address }), 20_000, 'start vm-runner');
  ctx.workspace = await mkdtemp(join(tmpdir(), 'jobmesh-ws-'));
  await writeFile(join(ctx.workspace, 'input.txt'), 'from the workspace\n');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
  if (ctx.workspace) await rm(ctx.workspace, { recursive: true, force: true });
});

test('prepare → start → ready → exec → stop → start → exec → destroy, every transition recorded in persistence', async ({ p, r, workspace }) => {
  const c = r.client;
  const script = 'cat input.txt; echo "name=$NAME"; echo to-stderr >&2; echo made > out.txt';
  const { vm } = await withDeadline(c.prepare(prepareRequest({ runsOn: 'process', workspacePath: workspace, script, env: { NAME: 'jobmesh' } })), 10_000, 'prepare');
  assert.is(vm!.state, VmState.VM_STATE_PREPARED);
  assert.is(vm!.runsOn, 'local', 'an alias resolves to its label');
  assert.is(vm!.backend, VmBackend.VM_BACKEND_PROCESS);
  assert.ok(existsSync(join(vm!.overlayPath, 'input.txt')), 'workspace copied into the VM');
  const id = vm!.id;

  await expectStatus(collectExec(c.exec({ vmId: id, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.FAILED_PRECONDITION, { reason: 'VM_NOT_READY' });
  await expectStatus(c.waitReady({ vmId: id, timeoutMs: 0 }), status.FAILED_PRECONDITION, { reason: 'VM_NOT_STARTED' });
  assert.is((await withDeadline(c.start({ vmId: id }), 10_000, 'start')).vm!.state, VmState.VM_STATE_STARTING);
  await expectStatus(collectExec(c.exec({ vmId: id, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.FAILED_PRECONDITION, { reason: 'VM_NOT_READY' });
  assert.is((await withDeadline(c.start({ vmId: id }), 10_000, 'start again')).vm!.state, VmState.VM_STATE_STARTING, 'Start is idempotent');
  assert.is((await withDeadline(c.waitReady({ vmId: id, timeoutMs: 5000 }), 10_000, 'wait ready')).vm!.state, VmState.VM_STATE_READY);

  const run = await withDeadline(collectExec(c.exec({ vmId: id, timeoutMs: 10_000, killGraceMs: 0, rejoin: false })), 15_000, 'exec');
  assert.is(run.stdout, 'from the workspace\nname=jobmesh\n');
  assert.is(run.stderr, 'to-stderr\n');
  assert.equal(run.result && { exitCode: run.result.exitCode, signal: run.result.signal, timedOut: run.result.timedOut }, { exitCode: 0, signal: '', timedOut: false });
  assert.equal(run.outputs.map((o) => o.seq), run.outputs.map((_, i) => i), 'chunks numbered from 0');
  assert.ok(existsSync(join(vm!.overlayPath, 'out.txt')), 'the job ran in the VM workspace');
  assert.is((await c.getVm({ vmId: id })).vm!.state, VmState.VM_STATE_READY);

  const stopped = await withDeadline(c.stop({ vmId: id, force: false, graceMs: 0 }), 10_000, 'stop');
  assert.is(stopped.vm!.state, VmState.VM_STATE_STOPPED);
  assert.is((await c.stop({ vmId: id, force: false, graceMs: 0 })).stoppedBy, 'none', 'Stop is idempotent');
  await c.start({ vmId: id });
  await c.waitReady({ vmId: id, timeoutMs: 5000 });
  const again = await withDeadline(collectExec(c.exec({ vmId: id, timeoutMs: 10_000, killGraceMs: 0, rejoin: false })), 15_000, 'exec again');
  assert.is(again.result!.exitCode, 0);

  const destroyed = await withDeadline(c.destroy({ vmId: id }), 10_000, 'destroy');
  assert.is(destroyed.vm!.state, VmState.VM_STATE_DESTROYED);
  assert.not.ok(existsSync(join(r.stateDir, 'vms', id)), 'the VM folder is gone');
  assert.is((await c.destroy({ vmId: id })).vm!.state, VmState.VM_STATE_DESTROYED, 'Destroy is idempotent');
  await expectStatus(collectExec(c.exec({ vmId: id, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.FAILED_PRECONDITION, { reason: 'VM_DESTROYED' });
  await expectStatus(c.start({ vmId: id }), status.FAILED_PRECONDITION, { reason: 'VM_DESTROYED' });
  assert.ok(existsSync(workspace), 'the caller’s workspace is left alone');

  const expected = ['PREPARING', 'PREPARED', 'STARTING', 'READY', 'EXECUTING', 'READY', 'STOPPING', 'STOPPED', 'STARTING', 'READY', 'EXECUTING', 'READY', 'DESTROYED'];
  let states: string[] = [];
  const recorded = await eventually(async () => {
    const events = await p.clients.vms.listVmEvents({ requestId: id }).catch(() => ({ events: [] }));
    states = events.events.map((e) => vmStateToJSON(e.state));
    return events.events.at(-1)?.state === VmState.VM_STATE_DESTROYED;
  });
  assert.ok(recorded, `events reached persistence: ${states.join(' ')}`);
  const { events } = await p.clients.vms.listVmEvents({ requestId: id });
  const sequence = events.map((e) => vmStateToJSON(e.state).replace('VM_STATE_', '')).filter((s, i, all) => s !== all[i - 1]);
  assert.equal(sequence, expected);
  const stored = (await p.clients.vms.getVm({ requestId: id })).vm!;
  assert.is(stored.state, VmState.VM_STATE_DESTROYED);
  assert.is(stored.host, 'test-host');
  assert.is(stored.backend, VmBackend.VM_BACKEND_PROCESS);
  assert.is(stored.domainName, vm!.domainName);
  assert.is(stored.overlayPath, vm!.overlayPath);
});

test('Prepare is idempotent by key: the same key returns the same VM, never a second one', async ({ r }) => {
  const c = r.client;
  const request = prepareRequest();
  const [a, b] = await withDeadline(Promise.all([c.prepare(request), c.prepare(request)]), 10_000, 'two prepares at once');
  const again = await c.prepare({ ...request, script: 'echo other' });
  assert.is(a.vm!.id, b.vm!.id);
  assert.is(again.vm!.id, a.vm!.id);
  assert.is((await c.listVms({ states: [], jobRequestId: '', key: '', pageSize: 1000, pageToken: '' })).vms.filter((v) => v.key === request.key).length, 1);
  await expectStatus(c.prepare({ ...request, runsOn: 'tiny' }), status.ALREADY_EXISTS, { reason: 'KEY_CONFLICT' });
  await c.destroy({ vmId: a.vm!.id });
  assert.is((await c.prepare(request)).vm!.state, VmState.VM_STATE_DESTROYED, 'a destroyed VM stays the answer for its key');
});

test('bad input: unknown label, oversized script and env, bad and unknown ids', async ({ r }) => {
  const c = r.client;
  const unknown = await expectStatus(c.prepare(prepareRequest({ runsOn: 'gpu-xl' })), status.INVALID_ARGUMENT, { field: 'runs_on', reason: 'UNKNOWN_LABEL' });
  assert.ok(unknown.message.includes('gpu-xl') && unknown.message.includes('local') && unknown.message.includes('tiny'), unknown.message);
  await expectStatus(c.prepare(prepareRequest({ script: 'x'.repeat(1024 * 1024 + 1) })), status.INVALID_ARGUMENT, { field: 'script', reason: 'SCRIPT_TOO_LARGE' });
  await withDeadline(c.prepare(prepareRequest({ script: `#${'x'.repeat(1024 * 1024 - 1)}` })), 10_000, 'a 1 MiB script is fine');
  const many = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, 'x']));
  await expectStatus(c.prepare(prepareRequest({ env: many })), status.INVALID_ARGUMENT, { field: 'env', reason: 'ENV_TOO_LARGE' });
  await expectStatus(c.prepare(prepareRequest({ env: { BIG: 'x'.repeat(64 * 1024) } })), status.INVALID_ARGUMENT, { field: 'env', reason: 'ENV_TOO_LARGE' });
  await expectStatus(c.prepare(prepareRequest({ env: { 'NOT-A-NAME': 'x' } })), status.INVALID_ARGUMENT, { field: 'env' });
  await expectStatus(c.prepare(prepareRequest({ script: '' })), status.INVALID_ARGUMENT, { field: 'script' });
  await expectStatus(c.prepare(prepareRequest({ key: '' })), status.INVALID_ARGUMENT, { field: 'key' });
  await expectStatus(c.prepare(prepareRequest({ workspacePath: 'relative/path' })), status.INVALID_ARGUMENT, { field: 'workspace_path' });
  await expectStatus(c.prepare(prepareRequest({ jobRequestId: 'nope' })), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(c.getVm({ vmId: 'not-a-uuid' }), status.INVALID_ARGUMENT, { field: 'vm_id' });
  const missing = '00000000-0000-4000-8000-000000000000';
  await expectStatus(c.getVm({ vmId: missing }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(c.start({ vmId: missing }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(c.waitReady({ vmId: missing, timeoutMs: 0 }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(c.stop({ vmId: missing, force: false, graceMs: 0 }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(c.destroy({ vmId: missing }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(collectExec(c.exec({ vmId: missing, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
});

test('Capacity counts slots per label; a full label is RESOURCE_EXHAUSTED until a VM is destroyed', async ({ r }) => {
  const c = r.client;
  const tinyOf = async () => (await c.capacity({})).labels.find((l) => l.label === 'tiny')!;
  const before = await c.capacity({});
  assert.equal(before.labels.map((l) => [l.label, l.aliases, l.slotsTotal]), [['local', ['process'], 2], ['tiny', [], 1]]);
  assert.is(before.host, 'test-host');
  assert.is((await tinyOf()).slotsInUse, 0);
  const first = await c.prepare(prepareRequest({ runsOn: 'tiny' }));
  assert.is((await tinyOf()).slotsInUse, 1);
  await expectStatus(c.prepare(prepareRequest({ runsOn: 'tiny' })), status.RESOURCE_EXHAUSTED, { reason: 'NO_SLOT_FREE' });
  await c.destroy({ vmId: first.vm!.id });
  assert.is((await tinyOf()).slotsInUse, 0);
  await c.destroy({ vmId: (await c.prepare(prepareRequest({ runsOn: 'tiny' }))).vm!.id });
});

test.run();
