import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { ensureTestImage, type GuestImage } from '@jobmesh/vm-image';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attachQemu, createOverlay, createSeed, isPidAlive, launchQemu, probeAccelerator, qmp, stopQemu, type QemuProcess } from '../src/qemu/index.ts';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`needs Node 24 or newer, got ${process.versions.node}: run with npx node\n`);
  process.exit(1);
}

// Two guest boots in this file, under TCG on a shared 2-core machine: deadlines are generous.
const imageDeadlineMs = 120_000;
const launchDeadlineMs = 20_000;
const readyTimeoutMs = 60_000;
const jobDeadlineMs = 60_000;
const stopDeadlineMs = 20_000;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let image: GuestImage;
let root = '';
let baseSha256Before = '';
const started = new Set<QemuProcess>();
const watchdogs: number[] = [];

/**
 * qemu runs in its own session (it must outlive vm-runner), so the test runner's kill of this
 * file's process group would miss it: a detached watchdog kills it if this process dies first.
 */
function guardQemu(qemuPid: number): void {
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${qemuPid} 2>/dev/null`], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  if (watchdog.pid) watchdogs.push(watchdog.pid);
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function prepareVm(name: string, script: string, extra: { env?: Record<string, string>; workspaceTar?: string } = {}): Promise<{ vm: QemuProcess; readyMs: number; kernel: string; runDir: string }> {
  const runDir = path.join(root, name);
  await mkdir(runDir, { recursive: true });
  await withDeadline(createOverlay(image.baseDiskPath, path.join(runDir, 'disk.qcow2')), 10_000, 'createOverlay');
  await withDeadline(createSeed(path.join(runDir, 'seed.iso'), { script, env: extra.env ?? {}, instanceId: name, ...(extra.workspaceTar ? { workspaceTar: extra.workspaceTar } : {}) }), 10_000, 'createSeed');
  const began = performance.now();
  const vm = await withDeadline(
    launchQemu({ name: `jobmesh-test-${name}`, image, overlayPath: path.join(runDir, 'disk.qcow2'), seedPath: path.join(runDir, 'seed.iso'), runDir, memoryMb: 256, cpus: 1, accel: 'tcg' }),
    launchDeadlineMs,
    'launchQemu',
  );
  started.add(vm);
  guardQemu(vm.pid);
  const { kernel, guestUptimeMs } = await withDeadline(vm.agent.waitReady(readyTimeoutMs), readyTimeoutMs + 5_000, 'waitReady');
  const readyMs = Math.round(performance.now() - began);
  console.log(`[timing] ${name}: launch → READY ${readyMs} ms, of which guest kernel start → agent ${guestUptimeMs} ms (TCG, q35, 256M, 1 vCPU)`);
  return { vm, readyMs, kernel, runDir };
}

test.before(async () => {
  image = await withDeadline(ensureTestImage({ cacheDir: path.join(repoRoot, '.jobmesh/images') }), imageDeadlineMs, 'ensureTestImage');
  baseSha256Before = sha256(image.baseDiskPath);
  root = await mkdtemp(path.join(tmpdir(), 'jm-qemu-'));
});

test.after(async () => {
  for (const vm of started) {
    vm.agent.close();
    if (vm.isAlive()) {
      try { process.kill(vm.pid, 'SIGKILL'); } catch { /* gone */ }
      await withDeadline(vm.exited, 10_000, 'qemu exit after SIGKILL').catch(() => undefined);
    }
  }
  for (const pid of watchdogs) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (root) await rm(root, { recursive: true, force: true });
});

test('the image is cached: a second ensureTestImage returns the same version and files', async () => {
  const again = await withDeadline(ensureTestImage({ cacheDir: path.join(repoRoot, '.jobmesh/images') }), 10_000, 'ensureTestImage again');
  assert.equal(again, image);
  const manifest = JSON.parse(readFileSync(image.manifestPath, 'utf8')) as { sha256: Record<string, string> };
  assert.is(manifest.sha256['base.img'], baseSha256Before);
});

test('probeAccelerator without a usable /dev/kvm answers tcg without booting', async () => {
  if (existsSync('/dev/kvm')) return; // a real probe boot is too costly for this shared machine
  const accel = await withDeadline(probeAccelerator(image, { timeoutMs: 5_000, runDir: path.join(root, 'probe') }), 10_000, 'probeAccelerator');
  assert.is(accel, 'tcg');
});

test('a job streams its output live, sees its env and workspace, writes the disk, and reports exit 3; powerdown ends qemu; the base is unchanged', async () => {
  const workspace = path.join(root, 'ws');
  await mkdir(workspace);
  await writeFile(path.join(workspace, 'hello.txt'), 'from the workspace\n');
  execFileSync('tar', ['-cf', path.join(root, 'ws.tar'), '-C', workspace, '.']);
  const script = [
    'echo "line 1 $GREETING"',
    'cat hello.txt',
    'echo "to stderr" >&2',
    'sleep 1.5',
    'echo "line 2"',
    'echo written-by-the-guest > written.txt && sync',
    'sleep 1.5',
    'echo "line 3 $(cat written.txt)"',
    'exit 3',
  ].join('\n') + '\n';
  const { vm, kernel, runDir } = await prepareVm('streams', script, { env: { GREETING: 'hi there, $HOME not expanded' }, workspaceTar: path.join(root, 'ws.tar') });
  assert.match(kernel, /amd64/);

  const chunks: { stream: string; text: string; at: number }[] = [];
  const began = performance.now();
  const result = await withDeadline(vm.agent.run((stream, data) => chunks.push({ stream, text: data.toString(), at: performance.now() - began }), {}), jobDeadlineMs, 'run');
  const endedAt = performance.now() - began;
  assert.equal(result, { exitCode: 3, timedOut: false });
  const stdout = chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
  const stderr = chunks.filter((c) => c.stream === 'stderr').map((c) => c.text).join('');
  assert.is(stdout, 'line 1 hi there, $HOME not expanded\nfrom the workspace\nline 2\nline 3 written-by-the-guest\n');
  assert.is(stderr, 'to stderr\n');
  // Live: the first line came while the job still had ~3 s of sleeps ahead.
  const first = chunks[0];
  assert.ok(first && endedAt - first.at > 2_000, `first chunk at ${first?.at} ms, job ended at ${endedAt} ms`);
  console.log(`[timing] streams: first chunk ${Math.round(first?.at ?? -1)} ms after RUN, EXIT at ${Math.round(endedAt)} ms`);

  // RUN again re-joins: the finished job's exit status, no second run.
  const again = await withDeadline(vm.agent.run(() => assert.unreachable('no output on re-join'), {}), 10_000, 'run again');
  assert.is(again.exitCode, 3);
  assert.equal(await withDeadline(vm.agent.status(5_000), 6_000, 'status'), { job: 'exited', exitCode: 3 });
  assert.ok(((await withDeadline(qmp(vm.qmpSocketPath, 'query-status'), 6_000, 'qmp query-status')) as { status: string }).status === 'running');

  const how = await withDeadline(stopQemu(vm, { graceMs: 10_000 }), stopDeadlineMs, 'stopQemu');
  assert.is(how, 'powerdown');
  assert.not.ok(vm.isAlive());
  assert.not.ok(isPidAlive(vm.pid));
  assert.is(await attachQemu(runDir), undefined);
  assert.is(sha256(image.baseDiskPath), baseSha256Before);
});

test('after a simulated restart, attachQemu re-joins the running job; past its timeout it is killed and reported timedOut', async () => {
  const script = 'i=0; while [ $i -lt 4 ]; do echo "tick $i"; i=$((i + 1)); sleep 0.5; done; sleep 600; echo never\n';
  const { vm: first, runDir } = await prepareVm('restart', script);
  const seen: string[] = [];
  let firstTick!: () => void;
  const gotTick = new Promise<void>((resolve) => (firstTick = resolve));
  const firstRun = first.agent.run((_, data) => {
    seen.push(data.toString());
    // The old vm-runner goes away at once: its connection closes, qemu keeps running.
    first.agent.close();
    firstTick();
  }, {});
  await withDeadline(gotTick, jobDeadlineMs, 'first tick');
  await withDeadline(firstRun.then(() => assert.unreachable('run should reject on close'), (error: Error) => assert.match(error.message, /closed/)), 5_000, 'first run rejects');

  const second = await withDeadline(attachQemu(runDir), 5_000, 'attachQemu');
  assert.ok(second, 'attachQemu found the VM');
  started.add(second);
  assert.is(second.pid, first.pid);
  assert.ok(second.isAlive());
  await withDeadline(second.agent.waitReady(10_000), 12_000, 'waitReady after attach');
  const state = await withDeadline(second.agent.status(10_000), 12_000, 'status after attach');
  assert.is(state.job, 'running');

  const began = performance.now();
  const result = await withDeadline(second.agent.run((_, data) => seen.push(data.toString()), { timeoutMs: 4_000 }), jobDeadlineMs, 'run after attach');
  const tookMs = performance.now() - began;
  assert.is(result.timedOut, true);
  assert.is(result.exitCode, 143);
  assert.is(result.signal, 'SIGTERM');
  assert.ok(tookMs < 15_000, `killed within ${tookMs} ms`);
  // Ticks written while no host was connected waited in the guest: none lost, none twice.
  assert.is(seen.join(''), 'tick 0\ntick 1\ntick 2\ntick 3\n');
  console.log(`[timing] restart: timed out and killed ${Math.round(tookMs)} ms after re-joining; output seen: ${JSON.stringify(seen.join(''))}`);

  const how = await withDeadline(stopQemu(second, { graceMs: 10_000 }), stopDeadlineMs, 'stopQemu');
  assert.ok(['powerdown', 'quit'].includes(how), how);
  assert.not.ok(isPidAlive(second.pid));
  assert.is(sha256(image.baseDiskPath), baseSha256Before);
});

test.run();
