import { constants } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { GuestImage } from '@jobmesh/guest-images';
import { createOverlay } from './create-overlay.ts';
import { createSeed } from './create-seed.ts';
import { launchQemu } from './launch-qemu.ts';
import type { QemuProcess } from './qemu-process.ts';
import { stopQemu } from './stop-qemu.ts';

/** Options of {@link probeAccelerator}. */
export interface ProbeAcceleratorOptions {
  /** How long a KVM guest gets to report READY, in ms; KVM guests that hang never do. */
  timeoutMs: number;
  /** Scratch directory for the probe VM (overlay, seed, sockets); removed afterwards. */
  runDir: string;
}

/**
 * Chooses the accelerator: `kvm` only when a KVM guest of `image` actually boots and its agent
 * reports READY within `timeoutMs`; `tcg` otherwise. Where /dev/kvm is missing or cannot be
 * opened no guest is booted. (On this machine kind, guests hung or aborted under KVM where
 * /dev/kvm existed: its existence proves nothing.) Never throws: any failure means `tcg`.
 */
export async function probeAccelerator(image: GuestImage, options: ProbeAcceleratorOptions): Promise<'kvm' | 'tcg'> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'tcg';
  }
  const dir = path.resolve(options.runDir);
  let vm: QemuProcess | undefined;
  try {
    await mkdir(dir, { recursive: true });
    await createOverlay(image.baseDiskPath, path.join(dir, 'probe.qcow2'));
    await createSeed(path.join(dir, 'probe-seed.iso'), { script: 'true\n', env: {}, instanceId: 'kvm-probe' });
    vm = await launchQemu({
      name: 'jobmesh-kvm-probe',
      image,
      overlayPath: path.join(dir, 'probe.qcow2'),
      seedPath: path.join(dir, 'probe-seed.iso'),
      runDir: dir,
      memoryMb: 128,
      cpus: 1,
      accel: 'kvm',
    });
    await vm.agent.waitReady(options.timeoutMs);
    return 'kvm';
  } catch {
    return 'tcg';
  } finally {
    if (vm) await stopQemu(vm, { graceMs: 0, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}
