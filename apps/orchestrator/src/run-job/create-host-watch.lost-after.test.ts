import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMeshError, MeshError, status } from '@jobmesh/grpc-kit';
import { createHostWatch } from './create-host-watch.ts';

const away = () => Promise.reject(new MeshError(status.UNAVAILABLE, 'UNAVAILABLE', 'connect ECONNREFUSED'));
const refusal = () => Promise.reject(new MeshError(status.NOT_FOUND, 'VM_NOT_FOUND', 'no such VM'));

test('a host unreachable for less than the limit is retried as UNAVAILABLE; past it, HOST_LOST, and never called again', async () => {
  let now = 0;
  const watch = createHostWatch(60_000, () => now);
  for (const t of [0, 30_000, 59_999]) {
    now = t;
    await watch.guard('a', away).then(() => assert.unreachable(), (e) => assert.ok(isMeshError(e, status.UNAVAILABLE)));
  }
  now = 60_000;
  await watch.guard('a', away).then(() => assert.unreachable(), (e) => assert.ok(isMeshError(e, status.FAILED_PRECONDITION, 'HOST_LOST'), String(e)));
  assert.ok(watch.lost('a'));
  let called = false;
  await watch.guard('a', async () => void (called = true)).catch((e) => assert.ok(isMeshError(e, status.FAILED_PRECONDITION, 'HOST_LOST')));
  assert.not.ok(called, 'a lost host is not called again in this execution');
  assert.is(await watch.guard('b', async () => 'fine'), 'fine', 'hosts are watched apart');
});

test('any answer from the host (even a refusal) ends its trouble; a log write failure is not the host\'s', async () => {
  let now = 0;
  const watch = createHostWatch(1000, () => now);
  await watch.guard('a', away).catch(() => undefined);
  now = 900;
  await watch.guard('a', refusal).catch(() => undefined);
  now = 1500;
  await watch.guard('a', away).then(() => assert.unreachable(), (e) => assert.ok(isMeshError(e, status.UNAVAILABLE), 'the clock started again'));
  now = 10_000;
  const logTrouble = () => Promise.reject(new MeshError(status.UNAVAILABLE, 'LOG_WRITE_FAILED', 'persistence away'));
  await watch.guard('b', logTrouble).catch(() => undefined);
  now = 20_000;
  await watch.guard('b', logTrouble).then(() => assert.unreachable(), (e) => assert.ok(isMeshError(e, status.UNAVAILABLE, 'LOG_WRITE_FAILED')));
  assert.not.ok(watch.lost('b'));
});

test.run();
