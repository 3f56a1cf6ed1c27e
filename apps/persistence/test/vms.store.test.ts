import { randomUUID } from 'node:crypto';
import type { VmEvent } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { VmBackend, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence vms');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const event = (requestId: string, state: VmState, at: number, extra: Partial<VmEvent> = {}): VmEvent => ({
  eventId: randomUUID(), requestId, jobRequestId: '', domainName: '', overlayPath: '', seedPath: '',
  backend: VmBackend.VM_BACKEND_QEMU, state, message: `now ${state}`, host: 'host-a', details: {},
  occurredAt: new Date(at), sequence: 0, ...extra,
});

test('RecordVmEvents upserts the VM, keeps every event, and is idempotent by event_id', async ({ p }) => {
  const vm = randomUUID();
  const job = randomUUID();
  const t0 = Date.now();
  const prepared = event(vm, VmState.VM_STATE_PREPARED, t0, { jobRequestId: job, domainName: 'jm-1', overlayPath: '/var/o.qcow2', seedPath: '/var/s.iso', details: { accel: 'tcg' } });
  const started = event(vm, VmState.VM_STATE_STARTING, t0 + 10, { details: { pid: '1234' } });
  assert.equal(await p.clients.vms.recordVmEvents({ events: [prepared, started] }), { recorded: 2, duplicates: 0 });
  assert.equal(await p.clients.vms.recordVmEvents({ events: [started] }), { recorded: 0, duplicates: 1 });
  const { vm: row } = await p.clients.vms.getVm({ requestId: vm });
  assert.is(row!.state, VmState.VM_STATE_STARTING);
  assert.is(row!.domainName, 'jm-1');
  assert.is(row!.overlayPath, '/var/o.qcow2');
  assert.is(row!.jobRequestId, job);
  const { events } = await p.clients.vms.listVmEvents({ requestId: vm });
  assert.equal(events.map((e) => e.state), [VmState.VM_STATE_PREPARED, VmState.VM_STATE_STARTING]);
  assert.equal(events[0]!.details, { accel: 'tcg' });
  assert.ok(events[0]!.sequence > 0);
});

test('an older event arriving late is kept in history but does not roll the VM back', async ({ p }) => {
  const vm = randomUUID();
  const t0 = Date.now();
  await p.clients.vms.recordVmEvents({ events: [event(vm, VmState.VM_STATE_DESTROYED, t0 + 100)] });
  await p.clients.vms.recordVmEvents({ events: [event(vm, VmState.VM_STATE_READY, t0)] });
  assert.is((await p.clients.vms.getVm({ requestId: vm })).vm!.state, VmState.VM_STATE_DESTROYED);
  const { events } = await p.clients.vms.listVmEvents({ requestId: vm });
  assert.equal(events.map((e) => e.state), [VmState.VM_STATE_READY, VmState.VM_STATE_DESTROYED]);
});

test('ListVms filters by state, job and host and pages', async ({ p }) => {
  const host = `host-${randomUUID().slice(0, 6)}`;
  const job = randomUUID();
  for (let i = 0; i < 5; i++) {
    await p.clients.vms.recordVmEvents({ events: [event(randomUUID(), i < 2 ? VmState.VM_STATE_READY : VmState.VM_STATE_DESTROYED, Date.now(), { host, jobRequestId: i === 0 ? job : '' })] });
  }
  const all: string[] = [];
  let pageToken = '';
  do {
    const page = await p.clients.vms.listVms({ states: [], jobRequestId: '', host, pageSize: 2, pageToken });
    all.push(...page.vms.map((v) => v.requestId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.is(new Set(all).size, 5);
  assert.is((await p.clients.vms.listVms({ states: [VmState.VM_STATE_READY], jobRequestId: '', host, pageSize: 0, pageToken: '' })).vms.length, 2);
  assert.is((await p.clients.vms.listVms({ states: [], jobRequestId: job, host: '', pageSize: 0, pageToken: '' })).vms.length, 1);
});

test('bad VM events are refused whole, naming the field; unknown VMs are NOT_FOUND', async ({ p }) => {
  const vm = randomUUID();
  const good = event(vm, VmState.VM_STATE_READY, Date.now());
  const record = (events: VmEvent[]) => p.clients.vms.recordVmEvents({ events });
  await expectStatus(record([]), status.INVALID_ARGUMENT, { field: 'events' });
  await expectStatus(record([good, { ...event(vm, VmState.VM_STATE_READY, Date.now()), eventId: 'x' }]), status.INVALID_ARGUMENT, { field: 'events[1].event_id' });
  await expectStatus(record([{ ...good, requestId: 'bad' }]), status.INVALID_ARGUMENT, { field: 'events[0].request_id' });
  await expectStatus(record([{ ...good, state: 77 as VmState }]), status.INVALID_ARGUMENT, { field: 'events[0].state' });
  await expectStatus(record([{ ...good, backend: VmBackend.VM_BACKEND_UNSPECIFIED }]), status.INVALID_ARGUMENT, { field: 'events[0].backend' });
  await expectStatus(record([good, { ...good }]), status.INVALID_ARGUMENT, { field: 'events[1].event_id' });
  await expectStatus(record([{ ...good, domainName: 'd'.repeat(300) }]), status.INVALID_ARGUMENT, { field: 'events[0].domain_name' });
  await expectStatus(p.clients.vms.getVm({ requestId: vm }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  await expectStatus(p.clients.vms.listVmEvents({ requestId: vm }), status.NOT_FOUND);
  await expectStatus(p.clients.vms.getVm({ requestId: '' }), status.INVALID_ARGUMENT, { field: 'request_id' });
});

test.run();
