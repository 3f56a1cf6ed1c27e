import { createReflectionClient, withDeadline, type ReflectionClient } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestVmRunner, type TestVmRunner } from './support/index.ts';

const test = suite<{ p: TestPersistence; r: TestVmRunner; reflection: ReflectionClient }>('vm-runner through server reflection only (grpcurl-like)');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address }), 20_000, 'start vm-runner');
  ctx.reflection = createReflectionClient(ctx.r.address);
});
test.after(async (ctx) => {
  ctx.reflection?.close();
  await ctx.r?.dispose();
  await ctx.p?.stop();
});

test('describes VmRunnerService with its comments and runs a whole job with JSON', async ({ reflection }) => {
  const name = 'jobmesh.vmrunner.v1.VmRunnerService';
  assert.ok((await withDeadline(reflection.listServices(), 5000, 'list')).includes(name));
  const described = await withDeadline(reflection.describe(name), 5000, 'describe');
  const methods = (described.descriptor as unknown as { methods: { name: string }[] }).methods.map((m) => m.name);
  assert.equal(methods, ['Prepare', 'Start', 'WaitReady', 'Exec', 'CollectOutputs', 'Stop', 'Destroy', 'GetVm', 'ReadConsole', 'ListVms', 'Capacity']);
  assert.ok((described.leadingComment ?? '').length > 10);
  const capacity = await reflection.invokeUnary(`${name}/Capacity`, {}) as { labels: { label: string; slotsTotal: number; backend: string }[] };
  assert.equal(capacity.labels[0], { label: 'local', aliases: ['process'], backend: 'VM_BACKEND_PROCESS', slotsTotal: 2 });
  const prepared = await reflection.invokeUnary(`${name}/Prepare`, { key: 'reflection-1', runsOn: 'local', script: 'echo via-json; exit 2' }) as { vm: { id: string } };
  await reflection.invokeUnary(`${name}/Start`, { vmId: prepared.vm.id });
  await reflection.invokeUnary(`${name}/WaitReady`, { vmId: prepared.vm.id });
  const messages = await withDeadline(reflection.invokeServerStream(`${name}/Exec`, { vmId: prepared.vm.id }), 10_000, 'exec');
  assert.equal(messages.at(-1), { result: { exitCode: 2, durationMs: (messages.at(-1) as { result: { durationMs: string } }).result.durationMs } });
  assert.equal(messages[0], { output: { stream: 'LOG_STREAM_STDOUT', data: Buffer.from('via-json\n').toString('base64') } });
  const destroyed = await reflection.invokeUnary(`${name}/Destroy`, { vmId: prepared.vm.id }) as { vm: { state: string } };
  assert.is(destroyed.vm.state, 'VM_STATE_DESTROYED');
});

test.run();
