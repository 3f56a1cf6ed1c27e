import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecResponse } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, type PromiseClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareRequest, processCatalog, spawnVmRunner, writeCatalog, type VmRunnerProcess } from './support/index.ts';

// A job's output must not grow vm-runner's memory, whatever its size and however slowly the
// client reads: the job is held back (pipes) or its output stays on disk (rejoin) instead.
// vm-runner runs as its own process so its RSS is its own.

/** vm-runner's RSS may grow by at most this much over its level before the job: the output it holds (≤ 4 MiB queued, one chunk read) plus what V8 leaves to collect (it collects external memory about every 64 MiB). */
const maxGrowthMiB = 128;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

interface Ctx { stateDir: string; runner: VmRunnerProcess; client: PromiseClient<typeof VmRunnerServiceService> }
const test = suite<Ctx>('vm-runner Exec of a big output keeps memory bounded');
test.before(async (ctx) => {
  ctx.stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vmr-big-'));
  ctx.runner = spawnVmRunner({
    // Persistence is away: VM events wait in the record buffer, which does not matter here.
    JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1',
    JOBMESH_VMRUNNER_STATE_DIR: ctx.stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(processCatalog, ctx.stateDir),
    JOBMESH_VMRUNNER_HOST: 'big-host',
    JOBMESH_LOG_LEVEL: 'info', // "vm-runner serving" is an info line
  });
  const port = await withDeadline(ctx.runner.serving, 20_000, 'vm-runner serving');
  ctx.client = createClient(VmRunnerServiceService, `127.0.0.1:${port}`);
});
test.after(async (ctx) => {
  ctx.client?.close();
  ctx.runner?.child.kill('SIGKILL');
  if (ctx.stateDir) await rm(ctx.stateDir, { recursive: true, force: true });
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples a process's RSS every 50 ms until stopped. */
function watchRss(pid: number) {
  const start = rssMiB(pid);
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  return { start, stop: () => (clearInterval(timer), { start, peak: Math.max(peak, rssMiB(pid)) }) };
}

async function readyVm(client: Ctx['client'], script: string) {
  const { vm } = await client.prepare(prepareRequest({ script }));
  await client.start({ vmId: vm!.id });
  await client.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  return vm!;
}

/**
 * Reads an Exec stream: a few messages, then nothing for `pauseMs` (a slow client), then the rest
 * as fast as it comes. @returns bytes received and the exit code
 */
async function readSlowly(stream: AsyncIterable<ExecResponse>, pauseMs: number, duringPause?: () => void) {
  let bytes = 0;
  let messages = 0;
  let exitCode: number | undefined;
  for await (const message of stream) {
    if (message.output) bytes += message.output.data.length;
    if (message.result) exitCode = message.result.exitCode;
    if (++messages === 4) {
      await sleep(pauseMs);
      duringPause?.();
    }
  }
  return { bytes, exitCode };
}

test('1 GiB written at once by a rejoinable job, read by a slow client: every byte arrives, vm-runner grows < 128 MiB', async ({ client, runner }) => {
  const vm = await withDeadline(readyVm(client, `head -c ${GiB} /dev/zero; echo done > finished`), 10_000, 'ready vm');
  await sleep(500); // let start-up allocations settle
  const rss = watchRss(runner.child.pid!);
  let finishedDuringPause = false;
  const got = await withDeadline(readSlowly(client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 0, rejoin: true }), 4000,
    () => (finishedDuringPause = existsSync(join(vm.overlayPath, 'finished')))), 240_000, 'exec 1 GiB');
  const { start, peak } = rss.stop();
  console.log(`rejoin, 1 GiB: vm-runner RSS ${start.toFixed(1)} MiB before, ${peak.toFixed(1)} MiB at most (+${(peak - start).toFixed(1)} MiB)`);
  assert.is(got.bytes, GiB, 'every byte came');
  assert.is(got.exitCode, 0);
  assert.ok(finishedDuringPause, 'the job wrote its whole output to disk while the client paused (it is not held back on the rejoin path)');
  assert.ok(peak - start < maxGrowthMiB, `vm-runner grew by ${(peak - start).toFixed(1)} MiB`);

  // A later Exec re-joins the ended run: the 1 GiB replays from the files, again without growing memory.
  const again = watchRss(runner.child.pid!);
  const replay = await withDeadline(readSlowly(client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 0, rejoin: true }), 1000), 240_000, 'replay 1 GiB');
  const replayed = again.stop();
  console.log(`rejoin replay, 1 GiB: vm-runner RSS ${replayed.start.toFixed(1)} MiB before, ${replayed.peak.toFixed(1)} MiB at most (+${(replayed.peak - replayed.start).toFixed(1)} MiB)`);
  assert.is(replay.bytes, GiB);
  assert.is(replay.exitCode, 0);
  assert.ok(replayed.peak - replayed.start < maxGrowthMiB, `vm-runner grew by ${(replayed.peak - replayed.start).toFixed(1)} MiB on replay`);
  await client.destroy({ vmId: vm.id });
});

test('256 MiB on a pipe (no rejoin), read by a slow client: the job is held back, vm-runner grows < 128 MiB', async ({ client, runner }) => {
  const size = 256 * MiB;
  const vm = await withDeadline(readyVm(client, `head -c ${size} /dev/zero; echo done > finished`), 10_000, 'ready vm');
  await sleep(500);
  const rss = watchRss(runner.child.pid!);
  let finishedDuringPause = true;
  const got = await withDeadline(readSlowly(client.exec({ vmId: vm.id, timeoutMs: 0, killGraceMs: 0, rejoin: false }), 3000,
    () => (finishedDuringPause = existsSync(join(vm.overlayPath, 'finished')))), 240_000, 'exec 256 MiB');
  const { start, peak } = rss.stop();
  console.log(`pipe, 256 MiB: vm-runner RSS ${start.toFixed(1)} MiB before, ${peak.toFixed(1)} MiB at most (+${(peak - start).toFixed(1)} MiB)`);
  assert.is(got.bytes, size);
  assert.is(got.exitCode, 0);
  assert.not.ok(finishedDuringPause, 'the job waited for the client (backpressure through the pipe)');
  assert.ok(peak - start < maxGrowthMiB, `vm-runner grew by ${(peak - start).toFixed(1)} MiB`);
  await client.destroy({ vmId: vm.id });
});

test.run();
