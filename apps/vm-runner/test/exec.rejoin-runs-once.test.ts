import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectExec, eventually, prepareRequest, processCatalog, spawnVmRunner, writeCatalog, type VmRunnerProcess } from './support/index.ts';

interface Ctx { p: TestPersistence; stateDir: string; markers: string; env: Record<string, string>; runners: VmRunnerProcess[] }
const test = suite<Ctx>('vm-runner Exec with rejoin: a job runs once across dropped callers and vm-runner restarts');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-rejoin-'));
  ctx.markers = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-markers-'));
  ctx.env = {
    JOBMESH_PERSISTENCE_ADDR: ctx.p.address,
    JOBMESH_VMRUNNER_STATE_DIR: ctx.stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(processCatalog, ctx.stateDir),
    JOBMESH_VMRUNNER_STOP_GRACE_MS: '500',
    JOBMESH_VMRUNNER_HOST: 'rejoin-host',
  };
  ctx.runners = [];
});
test.after(async (ctx) => {
  for (const runner of ctx.runners ?? []) runner.child.kill('SIGKILL');
  await ctx.p?.stop();
  for (const dir of [ctx.stateDir, ctx.markers]) if (dir) await rm(dir, { recursive: true, force: true });
});

async function start(ctx: Ctx) {
  const runner = spawnVmRunner(ctx.env);
  ctx.runners.push(runner);
  const port = await withDeadline(runner.serving, 20_000, 'vm-runner serving');
  return createClient(VmRunnerServiceService, `127.0.0.1:${port}`);
}

/** SIGKILLs the vm-runner started last and waits until it is gone. */
async function killLatest(ctx: Ctx) {
  const runner = ctx.runners.at(-1)!;
  runner.child.kill('SIGKILL');
  await withDeadline(runner.exited, 10_000, 'vm-runner killed');
}

/** A job that counts its runs in a marker file and waits for `go` before it ends with 3. */
const script = (marker: string) => `echo run >> ${marker}; echo first; echo err >&2; while [ ! -f go ]; do sleep 0.05; done; echo second; exit 3`;

async function readyVm(client: Client, marker: string) {
  const { vm } = await client.prepare(prepareRequest({ script: script(marker) }));
  await client.start({ vmId: vm!.id });
  await client.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  return vm!;
}

type Client = ReturnType<typeof createClient<typeof VmRunnerServiceService>>;

/** An Exec with rejoin (30 s job timeout), collected to its end; `onOutput` as collectExec's. */
const rejoinExec = (client: Client, vmId: string, options: { signal?: AbortSignal } = {}, onOutput?: Parameters<typeof collectExec>[1]) =>
  collectExec(client.exec({ vmId, timeoutMs: 30_000, killGraceMs: 0, rejoin: true }, options), onOutput);

/** How many times the job ran: the lines of its marker file. */
const runsOf = async (marker: string) => (await readFile(marker, 'utf8')).trim().split('\n').length;

/** Starts an Exec with rejoin and drops the call once the job printed `first`. */
async function dropAfterFirst(client: Client, vmId: string) {
  const controller = new AbortController();
  await withDeadline(rejoinExec(client, vmId, { signal: controller.signal }, (_o, text) => {
    if (text.includes('first')) controller.abort();
  }), 15_000, 'exec until dropped').catch(() => undefined);
}

test('a dropped caller leaves the job running; the next Exec re-joins it with the same chunks and result; later ones replay them', async (ctx) => {
  const client = await start(ctx);
  const marker = join(ctx.markers, 'dropped');
  const vm = await withDeadline(readyVm(client, marker), 10_000, 'ready vm');
  await dropAfterFirst(client, vm.id);
  assert.is((await client.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_EXECUTING, 'the job goes on without its caller');
  const rejoined = rejoinExec(client, vm.id);
  await new Promise((r) => setTimeout(r, 200));
  await writeFile(join(vm.overlayPath, 'go'), '');
  const run = await withDeadline(rejoined, 15_000, 'rejoined exec');
  assert.is(run.stdout, 'first\nsecond\n');
  assert.is(run.stderr, 'err\n');
  assert.is(run.result!.exitCode, 3);
  assert.equal(run.outputs.map((o) => o.seq), run.outputs.map((_, i) => i), 'seq from 0 without gaps');
  const again = await withDeadline(rejoinExec(client, vm.id), 10_000, 'replayed exec');
  assert.equal(again.outputs.map((o) => [o.seq, Buffer.from(o.data).toString()]), run.outputs.map((o) => [o.seq, Buffer.from(o.data).toString()]), 'the same chunks');
  assert.is(again.result!.exitCode, 3);
  assert.is(await runsOf(marker), 1, 'the job ran once');
  assert.is((await client.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_READY);
  await client.destroy({ vmId: vm.id });
  client.close();
});

test('a vm-runner SIGKILLed mid-run: the restarted one re-joins the detached job and reports its real exit code', async (ctx) => {
  const first = await start(ctx);
  const marker = join(ctx.markers, 'restart');
  const vm = await withDeadline(readyVm(first, marker), 10_000, 'ready vm');
  await dropAfterFirst(first, vm.id);
  await killLatest(ctx);
  first.close();
  const second = await start(ctx);
  assert.is((await second.getVm({ vmId: vm.id })).vm!.state, VmState.VM_STATE_EXECUTING, 'reconcile keeps the detached job');
  const rejoined = rejoinExec(second, vm.id);
  await writeFile(join(vm.overlayPath, 'go'), '');
  const run = await withDeadline(rejoined, 15_000, 'rejoined exec');
  assert.is(run.stdout, 'first\nsecond\n');
  assert.is(run.result!.exitCode, 3, 'the exit code the wrapper recorded');
  assert.is(await runsOf(marker), 1, 'the job ran once');
  await second.destroy({ vmId: vm.id });
  assert.ok(await eventually(() => !existsSync(join(ctx.stateDir, 'vms', vm.id))), 'files removed');
  second.close();
});

test('SIGKILLed again and again, the job ending while vm-runner is down: the next Exec reports its real exit code', async (ctx) => {
  const first = await start(ctx);
  const marker = join(ctx.markers, 'kills');
  const vm = await withDeadline(readyVm(first, marker), 10_000, 'ready vm');
  await dropAfterFirst(first, vm.id);
  first.close();
  await killLatest(ctx);
  (await start(ctx)).close(); // serves (and reconciles) once, then is killed too
  await killLatest(ctx);
  await writeFile(join(vm.overlayPath, 'go'), '');
  assert.ok(await eventually(() => existsSync(join(ctx.stateDir, 'vms', vm.id, 'run', 'exit-code'))), 'the job ended on its own while no vm-runner ran');
  const third = await start(ctx);
  const { vm: found } = await third.getVm({ vmId: vm.id });
  assert.is(found!.state, VmState.VM_STATE_READY);
  const run = await withDeadline(rejoinExec(third, vm.id), 15_000, 'exec after the restarts');
  assert.is(run.result!.exitCode, 3, `the exit code the wrapper recorded, not a kill (got ${run.result!.exitCode} ${run.result!.signal})`);
  assert.is(run.result!.signal, '');
  assert.is(run.stdout, 'first\nsecond\n');
  assert.is(await runsOf(marker), 1, 'the job ran once');
  await third.destroy({ vmId: vm.id });
  third.close();
});

test('a vm-runner killed after it marked the VM EXECUTING but before the job began: the next Exec runs the job, once', async (ctx) => {
  const first = await start(ctx);
  const marker = join(ctx.markers, 'never-began');
  const vm = await withDeadline(readyVm(first, marker), 10_000, 'ready vm');
  first.close();
  await killLatest(ctx);
  // What that crash leaves: the record saying EXECUTING and the run folder made, no job process.
  const recordFile = join(ctx.stateDir, 'vms', `${vm.id}.json`);
  const record = JSON.parse(await readFile(recordFile, 'utf8')) as { state: string };
  await writeFile(recordFile, JSON.stringify({ ...record, state: 'EXECUTING' }));
  await mkdir(join(ctx.stateDir, 'vms', vm.id, 'run'));
  const second = await start(ctx);
  const run = rejoinExec(second, vm.id);
  assert.ok(await eventually(() => existsSync(marker)), 'the job runs');
  await writeFile(join(vm.overlayPath, 'go'), '');
  const done = await withDeadline(run, 15_000, 'exec of the job that never began');
  assert.is(done.result!.exitCode, 3, `the job ran to its own end (got ${done.result!.exitCode} ${done.result!.signal})`);
  assert.is(done.stdout, 'first\nsecond\n');
  assert.is(await runsOf(marker), 1, 'the job ran once');
  await second.destroy({ vmId: vm.id });
  second.close();
});

test('two Execs with rejoin at once on a fresh VM start one job; both get its output and exit code', async (ctx) => {
  const client = await start(ctx);
  const marker = join(ctx.markers, 'concurrent');
  const vm = await withDeadline(readyVm(client, marker), 10_000, 'ready vm');
  const calls = [0, 1].map(() => rejoinExec(client, vm.id));
  assert.ok(await eventually(() => existsSync(marker)), 'the job runs');
  await writeFile(join(vm.overlayPath, 'go'), '');
  const [a, b] = await withDeadline(Promise.all(calls), 15_000, 'both execs');
  for (const run of [a!, b!]) {
    assert.is(run.result!.exitCode, 3);
    assert.is(run.stdout, 'first\nsecond\n');
  }
  assert.is(await runsOf(marker), 1, 'the job ran once');
  await client.destroy({ vmId: vm.id });
  client.close();
});

test('without rejoin a dropped caller still cancels the job (issue 4 semantics)', async (ctx) => {
  const client = await start(ctx);
  const marker = join(ctx.markers, 'cancel');
  const vm = await withDeadline(readyVm(client, marker), 10_000, 'ready vm');
  const controller = new AbortController();
  await withDeadline(collectExec(client.exec({ vmId: vm.id, timeoutMs: 30_000, killGraceMs: 0, rejoin: false }, { signal: controller.signal }), (_o, text) => {
    if (text.includes('first')) controller.abort();
  }), 15_000, 'exec until dropped').catch(() => undefined);
  assert.ok(await eventually(async () => (await client.getVm({ vmId: vm.id })).vm!.state === VmState.VM_STATE_READY), 'the job was ended');
  await client.destroy({ vmId: vm.id });
  client.close();
});

test.run();
