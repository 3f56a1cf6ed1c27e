import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogStream, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectExec, eventually, isProcessAlive, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

const test = suite<{ p: TestPersistence; r: TestVmRunner }>('vm-runner process exec');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address }), 20_000, 'start vm-runner');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
});

/** A READY process VM running `script`. */
async function readyVm(r: TestVmRunner, script: string) {
  const { vm } = await withDeadline(r.client.prepare(prepareRequest({ script })), 10_000, 'prepare');
  await r.client.start({ vmId: vm!.id });
  await withDeadline(r.client.waitReady({ vmId: vm!.id, timeoutMs: 5000 }), 10_000, 'wait ready');
  return vm!;
}

/** Reads the pid the job wrote to `job.pid` in its workspace. */
async function jobPid(workspace: string): Promise<number> {
  assert.ok(await eventually(() => existsSync(join(workspace, 'job.pid'))), 'the job wrote its pid');
  return Number((await readFile(join(workspace, 'job.pid'), 'utf8')).trim());
}

test('output streams live: the first chunk arrives while the job still waits for the test', async ({ r }) => {
  // The job cannot finish before the test, having seen "first", creates the file `go`.
  const vm = await readyVm(r, 'echo first; while [ ! -f go ]; do sleep 0.05; done; echo second; exit 7');
  let sawFirstBeforeEnd = false;
  const run = await withDeadline(collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 30_000, killGraceMs: 0, rejoin: false }), async (_output, text) => {
    if (text.includes('first') && !existsSync(join(vm.overlayPath, 'go'))) {
      sawFirstBeforeEnd = true;
      await writeFile(join(vm.overlayPath, 'go'), '');
    }
  }), 35_000, 'exec');
  assert.ok(sawFirstBeforeEnd, 'first chunk seen before the job could end');
  assert.is(run.stdout, 'first\nsecond\n');
  assert.is(run.result!.exitCode, 7, 'a non-zero exit code is reported');
  assert.is(run.result!.timedOut, false);
  assert.ok(run.outputs.every((o) => o.stream === LogStream.LOG_STREAM_STDOUT));
  assert.is((await r.client.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_READY);
  await r.client.destroy({ vmId: vm.id });
});

test('a job past its timeout is killed, with its children, and reported as timed out', async ({ r }) => {
  const vm = await readyVm(r, 'echo $$ > job.pid; sleep 60 & echo $! > child.pid; echo started; wait');
  const run = await withDeadline(collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 500, killGraceMs: 500, rejoin: false })), 15_000, 'exec');
  assert.is(run.result!.timedOut, true);
  assert.is(run.result!.exitCode, -1);
  assert.is(run.result!.signal, 'SIGTERM');
  assert.is(run.stdout, 'started\n');
  const child = Number((await readFile(join(vm.overlayPath, 'child.pid'), 'utf8')).trim());
  assert.ok(await eventually(() => !isProcessAlive(child)), 'the background child died with the job');
  assert.is((await r.client.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_READY);
  await r.client.destroy({ vmId: vm.id });
});

test('a job ignoring SIGTERM is killed after the grace', async ({ r }) => {
  const vm = await readyVm(r, "trap '' TERM; echo ready; while :; do sleep 0.1; done");
  const run = await withDeadline(collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 300, killGraceMs: 300, rejoin: false })), 15_000, 'exec');
  assert.is(run.result!.timedOut, true);
  assert.is(run.result!.signal, 'SIGKILL');
  await r.client.destroy({ vmId: vm.id });
});

test('a client that cancels the stream kills the job', async ({ r }) => {
  const vm = await readyVm(r, 'echo $$ > job.pid; echo running; sleep 60');
  const controller = new AbortController();
  const stream = r.client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 500, rejoin: false }, { signal: controller.signal });
  await withDeadline(collectExec(stream, () => controller.abort()), 15_000, 'exec until cancel').catch(() => undefined);
  const pid = await jobPid(vm.overlayPath);
  assert.ok(await eventually(() => !isProcessAlive(pid)), 'the job was killed');
  assert.ok(await eventually(async () => (await r.client.getVm({ vmId: vm.id })).vm!.state === VmState.VM_STATE_READY), 'the VM is READY again');
  await r.client.destroy({ vmId: vm.id });
});

test('the call deadline kills the job', async ({ r }) => {
  const vm = await readyVm(r, 'echo $$ > job.pid; sleep 60');
  await expectStatus(withDeadline(collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 200, rejoin: false }, { deadlineMs: 700 })), 15_000, 'exec'), status.DEADLINE_EXCEEDED);
  const pid = await jobPid(vm.overlayPath);
  assert.ok(await eventually(() => !isProcessAlive(pid)), 'the job was killed');
  await r.client.destroy({ vmId: vm.id });
});

test('Exec on a busy VM is refused; Destroy during Exec ends the job and leaves no files or processes', async ({ r }) => {
  const vm = await readyVm(r, 'echo $$ > job.pid; echo running; sleep 60');
  let destroyed: Promise<unknown> | undefined;
  let pid = 0;
  const run = collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 200, rejoin: false }), async () => {
    pid = await jobPid(vm.overlayPath);
    await expectStatus(collectExec(r.client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 0, rejoin: false })), status.FAILED_PRECONDITION, { reason: 'VM_BUSY' });
    destroyed ??= r.client.destroy({ vmId: vm.id });
  });
  const result = await withDeadline(run, 15_000, 'exec');
  await withDeadline(destroyed!, 10_000, 'destroy');
  assert.ok(result.result!.signal !== '' || result.result!.exitCode !== 0, 'the job did not end normally');
  assert.ok(pid > 0 && !isProcessAlive(pid), 'the job process is gone');
  assert.not.ok(existsSync(vm.overlayPath), 'workspace removed');
  assert.not.ok(existsSync(join(r.stateDir, 'vms', vm.id)), 'VM folder removed');
  assert.is((await r.client.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_DESTROYED);
});

test.run();
