import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, isMeshError, status } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, prepareRequest, processCatalog, spawnVmRunner, writeCatalog, type VmRunnerProcess } from './support/index.ts';

// VM events wait for persistence in the record buffer's journal (<state dir>/records), not only
// in memory: a vm-runner killed while persistence is away loses none of them; the next one on
// the same state dir sends them once persistence is back.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Ctx { stateDir: string; runners: VmRunnerProcess[]; p?: TestPersistence }
const test = suite<Ctx>('vm-runner records survive a kill while persistence is down');
test.before(async (ctx) => {
  ctx.stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-journal-'));
  ctx.runners = [];
});
test.after(async (ctx) => {
  for (const runner of ctx.runners ?? []) runner.child.kill('SIGKILL');
  await ctx.p?.stop();
  if (ctx.stateDir) await rm(ctx.stateDir, { recursive: true, force: true });
});

test('events recorded while persistence is away reach it after vm-runner was SIGKILLed and restarted', async (ctx) => {
  const persistenceAddress = `127.0.0.1:${await freePort()}`;
  const env = {
    JOBMESH_PERSISTENCE_ADDR: persistenceAddress,
    JOBMESH_VMRUNNER_STATE_DIR: ctx.stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(processCatalog, ctx.stateDir),
    JOBMESH_VMRUNNER_HOST: 'journal-host',
    JOBMESH_LOG_LEVEL: 'info',
  };
  const start = async () => {
    const runner = spawnVmRunner(env);
    ctx.runners.push(runner);
    return { runner, client: createClient(VmRunnerServiceService, `127.0.0.1:${await withDeadline(runner.serving, 20_000, 'vm-runner serving')}`) };
  };
  const first = await start();
  const { vm } = await withDeadline(first.client.prepare(prepareRequest({ script: 'echo hi' })), 10_000, 'prepare');
  await first.client.start({ vmId: vm!.id });
  await first.client.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  first.client.close();
  first.runner.child.kill('SIGKILL');
  await first.runner.exited;

  ctx.p = await withDeadline(startTestPersistence({ env: { JOBMESH_PERSISTENCE_ADDR: persistenceAddress } }), 60_000, 'start persistence');
  const second = await start();
  // NOT_FOUND until the first event of the VM arrived: the second vm-runner serves before its journal is sent.
  const states = async () => (await ctx.p!.clients.vms.listVmEvents({ requestId: vm!.id }).catch((error: unknown) => {
    if (isMeshError(error, status.NOT_FOUND)) return { events: [] };
    throw error;
  })).events.map((e) => e.state);
  const expected = [VmState.VM_STATE_PREPARING, VmState.VM_STATE_PREPARED, VmState.VM_STATE_STARTING, VmState.VM_STATE_STARTING, VmState.VM_STATE_READY];
  const arrived = await eventually(async () => (await states()).length >= expected.length, 20_000);
  assert.ok(arrived, `the events of the killed vm-runner arrived (got ${(await states()).length})`);
  assert.equal((await states()).slice(0, expected.length), expected, 'in order');
  second.client.close();
});

test.run();
