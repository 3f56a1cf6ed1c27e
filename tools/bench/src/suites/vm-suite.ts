import { PrepareRequest, type VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import type { PromiseClient } from '@jobmesh/grpc-kit';
import { bootToMarker, catalogLabel, defaultImageCacheDir, ensureDebianImage, ensureTestImage, type DebianImage, type GuestImage } from '@jobmesh/vm-image';
import { imageCacheDir, killProcessesMentioning, qemuCatalog, startTestVmRunner } from '@jobmesh/vm-runner/testing';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
// The driver vm-runner itself uses, so the raw boot differs only by what vm-runner adds around it.
import { createOverlay, createSeed, launchQemu } from '../../../../apps/vm-runner/src/qemu/index.ts';
import type { Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { describeFigure } from '../render-table.ts';
import { runCommand } from '../run-command.ts';
import { sharedPersistence } from '../shared-persistence.ts';
import { SuiteSkipped } from '../suite-skipped.ts';

type VmClient = PromiseClient<typeof VmRunnerServiceService>;
const readyTimeoutMs = 120_000;
const debianReadyTimeoutMs = 300_000;

/** Prepare → Start → WaitReady through vm-runner; @returns ms from Prepare's call to WaitReady's answer. The VM is destroyed after. */
async function viaVmRunner(client: VmClient, runsOn: string, waitMs = readyTimeoutMs): Promise<number> {
  const began = performance.now();
  const { vm } = await client.prepare(PrepareRequest.fromPartial({ key: `bench-${randomUUID()}`, runsOn, script: 'true' }), { deadlineMs: 60_000 });
  await client.start({ vmId: vm!.id }, { deadlineMs: 60_000 });
  await client.waitReady({ vmId: vm!.id, timeoutMs: waitMs }, { deadlineMs: waitMs + 5_000 });
  const ms = performance.now() - began;
  await client.destroy({ vmId: vm!.id }, { deadlineMs: 60_000 });
  return ms;
}

/** The same kernel, initrd, overlay of the same base disk and seed, booted by the bench to the same READY frame. */
async function rawBoot(image: GuestImage, root: string): Promise<number> {
  const runDir = await mkdtemp(join(root, 'raw-'));
  const began = performance.now();
  await createOverlay(image.baseDiskPath, join(runDir, 'disk.qcow2'));
  await createSeed(join(runDir, 'seed.iso'), { script: 'true', env: {}, instanceId: `raw-${randomUUID()}` });
  const vm = await launchQemu({ name: 'jobmesh-bench-raw', image, overlayPath: join(runDir, 'disk.qcow2'), seedPath: join(runDir, 'seed.iso'), runDir, memoryMb: 256, cpus: 1, accel: 'tcg' });
  try {
    await vm.agent.waitReady(readyTimeoutMs);
    return performance.now() - began;
  } finally {
    vm.agent.close();
    try { process.kill(vm.pid, 'SIGKILL'); } catch { /* gone */ }
    await Promise.race([vm.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}

/**
 * vm-runner's prepare→ready on qemu (TCG) against a raw qemu boot of the same image timed by
 * the bench, and on the process backend. Boots alternate (vm-runner, raw, vm-runner, …) so
 * both see the same machine load; every qemu is killed, whatever happens.
 */
export const vmSuite: Suite = {
  name: 'vm',
  async run(ctx) {
    await runCommand('qemu-system-x86_64', ['--version']).catch(() => {
      throw new SuiteSkipped('qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)');
    });
    const image = await ensureTestImage({ cacheDir: imageCacheDir });
    const persistence = await sharedPersistence(ctx);
    // Short paths: qemu's unix socket paths are limited to 107 bytes.
    const root = await mkdtemp('/tmp/jmb-vm-');
    await mkdir(join(root, 'state'), { recursive: true });
    // The Debian cloud image (npm run image:debian) joins in a full run: ~60 s per boot under TCG.
    let debian: DebianImage | undefined;
    const notes: string[] = [];
    if (ctx.quick) notes.push('debian-12 is measured only in a full run (about a minute per boot under TCG).');
    else debian = await ensureDebianImage({ cacheDir: defaultImageCacheDir() }).catch((error: unknown) => void notes.push(`debian-12 not measured: ${error instanceof Error ? error.message : String(error)} (npm run image:debian)`));
    const catalog = { labels: [...qemuCatalog.labels, { name: 'local', aliases: [], backend: 'process' as const, slots: 2 }, ...(debian ? [catalogLabel(debian) as never] : [])] };
    const runner = await startTestVmRunner({ persistenceAddress: persistence.address, catalog, stateDir: join(root, 'state'), env: { JOBMESH_VMRUNNER_IMAGE_CACHE_DIR: imageCacheDir } });
    ctx.onEnd(async () => {
      await runner.dispose();
      killProcessesMentioning(root); // no qemu outlives the run
      await rm(root, { recursive: true, force: true });
    });
    const warmups = ctx.size(1, 0);
    const reps = ctx.size(3, 1);
    const samples = { runner: [] as number[], raw: [] as number[], process: [] as number[] };
    for (let i = -warmups; i < reps; i++) {
      const viaRunner = await viaVmRunner(runner.client, 'qemu');
      const raw = await rawBoot(image, root);
      const proc = await viaVmRunner(runner.client, 'local');
      if (i < 0) continue;
      samples.runner.push(viaRunner);
      samples.raw.push(raw);
      samples.process.push(proc);
    }
    const debianSamples = { runner: [] as number[], raw: [] as number[] };
    for (let i = 0; debian && i < reps; i++) {
      ctx.log(`  vm: debian-12 boot ${i + 1} of ${reps}, vm-runner then raw qemu`);
      debianSamples.runner.push(await viaVmRunner(runner.client, 'debian-12', debianReadyTimeoutMs));
      debianSamples.raw.push((await bootToMarker(debian, { timeoutMs: debianReadyTimeoutMs })).markerMs);
    }
    const comparisons: Comparison[] = [
      compare('qemu (TCG) prepare→ready', figure('vm-runner Prepare+Start+WaitReady', 'ms', samples.runner), figure('raw qemu-system-x86_64 boot', 'ms', samples.raw), { op: '<=', value: 1.3, text: 'qemu prepare→ready ≤ 1.3× raw boot' }),
      ...(debian ? [compare('debian-12 cloud image (TCG) prepare→ready', figure('vm-runner Prepare+Start+WaitReady (cloud-init starts the agent)', 'ms', debianSamples.runner), figure('raw qemu boot to a cloud-init runcmd marker', 'ms', debianSamples.raw))] : []),
    ];
    return {
      what: 'Time from Prepare to a READY answer of WaitReady through vm-runner (in the bench process, gRPC on loopback, recording VM events in persistence) '
        + 'for the test guest image under TCG (q35, 256 MiB, 1 vCPU), against the bench booting the same kernel, initrd and an overlay of the same base disk '
        + 'with the same seed through the same qemu driver, timed from overlay creation to the guest agent\'s READY frame. The process backend is timed the same way.',
      comparisons,
      notes: [`Process backend (a folder and a host process, no VM): Prepare+Start+WaitReady ${describeFigure(figure('process', 'ms', samples.process))}; no ratio, since a qemu boot is not the same work.`,
        `${warmups} warm-up and ${reps} measured boots per side, alternating; qemu is SIGKILLed after each raw boot and destroyed through vm-runner after each measured one.`,
        'debian-12: the same image, kernel, initrd and cmdline; the raw side is a plain qemu with a NoCloud seed whose runcmd prints a marker on ttyS0 (timed from launch), vm-runner\'s side ends when the agent that runcmd starts says READY (timed from Prepare).', ...notes],
    };
  },
};
