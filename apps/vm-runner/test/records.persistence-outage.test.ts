import { createServer } from 'node:net';
import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { persistenceDependencyHealthName } from '../src/server.ts';
import { collectExec, eventually, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const test = suite<{ p?: TestPersistence; r?: TestVmRunner }>('vm-runner with persistence down');
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
});

test('VM work goes on while persistence is down; health says degraded; the buffered events arrive once it is back', async (ctx) => {
  const persistenceAddress = `127.0.0.1:${await freePort()}`;
  const r = (ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress }), 20_000, 'start vm-runner'));
  const health = createClient(HealthService, r.address);
  const dependency = async () => (await health.check({ service: persistenceDependencyHealthName })).status;

  const { vm } = await withDeadline(r.client.prepare(prepareRequest({ script: 'echo works' })), 10_000, 'prepare');
  await r.client.start({ vmId: vm!.id });
  await r.client.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  const run = await withDeadline(collectExec(r.client.exec({ vmId: vm!.id, timeoutMs: 10_000, killGraceMs: 0, rejoin: false })), 15_000, 'exec');
  assert.is(run.stdout, 'works\n');
  assert.ok(await eventually(async () => (await dependency()) === HealthCheckResponse_ServingStatus.NOT_SERVING), 'degraded while persistence is down');
  assert.is((await health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING, 'vm-runner itself still serves');

  ctx.p = await withDeadline(startTestPersistence({ env: { JOBMESH_PERSISTENCE_ADDR: persistenceAddress } }), 60_000, 'start persistence');
  assert.ok(await eventually(async () => (await dependency()) === HealthCheckResponse_ServingStatus.SERVING, 20_000), 'serving again');
  const { events } = await ctx.p.clients.vms.listVmEvents({ requestId: vm!.id });
  assert.equal(events.map((e) => e.state), [
    VmState.VM_STATE_PREPARING, VmState.VM_STATE_PREPARED, VmState.VM_STATE_STARTING, VmState.VM_STATE_STARTING,
    VmState.VM_STATE_READY, VmState.VM_STATE_EXECUTING, VmState.VM_STATE_READY,
  ], 'every buffered event arrived, in order');
  health.close();
});

test.run();
