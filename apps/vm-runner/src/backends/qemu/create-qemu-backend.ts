import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '@jobmesh/logger';
import { ensureTestImage, readGuestAgent, type GuestImage } from '@jobmesh/guest-images';
import { buildCloudConfig } from '../../qemu/build-cloud-config.ts';
import type { ImageSpec, LabelSpec } from '../../catalog/catalog-schema.ts';
import type { VmRecord } from '../../vms/vm-record.ts';
import type { Backend } from '../backend.ts';
import { archiveConsole, consoleTail, readArchivedConsole, readConsoleFile, rotateConsole } from '../../qemu/console-tail.ts';
import { fetchImage, ImageChecksumError } from '../../qemu/fetch-image.ts';
import { checkQemuLabel } from './check-qemu-label.ts';
import { collectGuestOutputs } from './collect-guest-outputs.ts';
import { processStartTicks } from '../process/process-identity.ts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import { attachQemu, createOverlay, createSeed, launchQemu, maxSocketPathBytes, probeAccelerator, runDirFiles, stopQemu, type QemuProcess } from '../../qemu/index.ts';

const run = promisify(execFile);

/** Options of the qemu backend. */
export interface QemuBackendOptions {
  /** Cache of the built-in test image. */
  imageCacheDir: string;
  /** `auto` proves KVM with a real boot first (and falls back to TCG). */
  accel: 'auto' | 'kvm' | 'tcg';
  /** Scratch folder of the KVM probe. */
  probeDir: string;
  /** Where the consoles of destroyed VMs are kept (the newest 500, 64 KiB each). */
  consoleArchiveDir: string;
  logger: Logger;
}

/**
 * The qemu backend, an adapter over the driver in src/qemu: a VM is a qcow2
 * overlay on the label's base disk (never written), a cidata seed with the job
 * payload, and a detached qemu process tracked by its run folder (pid file,
 * QMP socket, agent socket), so a restarted vm-runner re-attaches it.
 */
export function createQemuBackend(options: QemuBackendOptions): Backend & { warm(labels: readonly LabelSpec[]): void } {
  const processes = new Map<string, QemuProcess>();
  const images = new Map<string, Promise<GuestImage>>();
  let accel: Promise<'kvm' | 'tcg'> | undefined;
  let accelInfo = options.accel === 'auto'
    ? { name: 'probe', reason: 'KVM is used only if a probe guest boots under it; the probe runs at the first Start' }
    : { name: options.accel, reason: 'set by JOBMESH_VMRUNNER_ACCEL' };

  const imageOf = (spec: ImageSpec): Promise<GuestImage> => {
    const key = JSON.stringify(spec);
    let image = images.get(key);
    if (!image) {
      image = 'testImage' in spec
        ? ensureTestImage({ cacheDir: options.imageCacheDir })
        : 'cloudInit' in spec
          ? diskOf(spec.disk).then((disk) => ({ kernelPath: spec.kernel ?? '', initrdPath: spec.initrd ?? '', baseDiskPath: disk, manifestPath: '', version: 'catalog' }))
          : Promise.resolve({ kernelPath: spec.kernel, initrdPath: spec.initrd, baseDiskPath: spec.disk, manifestPath: spec.manifest ?? '', version: 'catalog' });
      // A failed build or fetch may succeed on the next Prepare; a wrong checksum never will.
      image.catch((error: unknown) => (error instanceof ImageChecksumError ? undefined : images.delete(key)));
      images.set(key, image);
    }
    return image;
  };
  // Images named by URL: fetched once into the cache; a checksum mismatch is kept as the label's reason.
  const badImages = new Map<string, string>();
  const diskOf = async (disk: string | { url: string; sha256: string }): Promise<string> => {
    if (typeof disk === 'string') return disk;
    try {
      return await fetchImage(disk.url, disk.sha256, join(options.imageCacheDir, 'downloads'), { onProgress: (line) => options.logger.info(line, { url: disk.url }) });
    } catch (error) {
      if (error instanceof ImageChecksumError) badImages.set(`${disk.url} ${disk.sha256}`, error.message);
      throw error;
    }
  };
  const qemuLabel = (label: LabelSpec) => {
    if (label.backend !== 'qemu') throw new Error(`label ${label.name} is not a qemu label`);
    return label;
  };
  // The probe boots a guest: do it once, on the first Start, not at every start-up.
  const accelFor = (image: GuestImage) => {
    if (options.accel !== 'auto') return Promise.resolve(options.accel);
    accel ??= probeAccelerator(image, { timeoutMs: 20_000, runDir: options.probeDir }).then(async (found) => {
      const device = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
      accelInfo = found === 'kvm'
        ? { name: 'kvm', reason: 'a probe guest booted and reported ready under KVM' }
        : { name: 'tcg', reason: device ? '/dev/kvm opens, but a probe guest did not report ready under KVM within 20 s (nested or paravirtual KVM): software emulation' : '/dev/kvm is missing or not accessible: software emulation' };
      options.logger.info('qemu accelerator chosen', { accel: found, reason: accelInfo.reason });
      return found;
    });
    return accel;
  };
  const processOf = async (record: VmRecord): Promise<QemuProcess | undefined> => {
    const known = processes.get(record.id);
    if (known?.isAlive()) return known;
    const attached = record.runDir ? await attachQemu(record.runDir) : undefined;
    if (attached?.isAlive()) processes.set(record.id, attached);
    return attached?.isAlive() ? attached : undefined;
  };
  // Consoles of running VMs stay bounded: checked every few seconds, rotated past 1 MiB.
  setInterval(() => {
    for (const qemu of processes.values()) void rotateConsole(qemu.runDir).catch(() => undefined);
  }, 5000).unref();
  const forget = (record: VmRecord) => {
    processes.get(record.id)?.agent.close();
    processes.delete(record.id);
  };

  return {
    name: 'qemu',
    /** Builds (or finds) the labels' images in the background, so the first Prepare does not pay for it. */
    warm(labels) {
      for (const label of labels) {
        if (label.backend !== 'qemu') continue;
        imageOf(label.image).catch((error: unknown) => options.logger.warn('guest image not ready; Prepare will retry', { label: label.name, error }));
      }
    },
    async prepare(record, label, payload) {
      const runDir = join(record.vmDir, 'run');
      const socket = runDirFiles(runDir).agentSocket;
      // Unix socket paths are limited to 107 bytes: refuse before making files, naming the fix.
      if (Buffer.byteLength(socket) > maxSocketPathBytes) {
        throw failedPrecondition('STATE_DIR_TOO_LONG', `${socket} is over ${maxSocketPathBytes} bytes; set JOBMESH_VMRUNNER_STATE_DIR to a shorter path`);
      }
      const image = await imageOf(qemuLabel(label).image);
      await mkdir(record.vmDir, { recursive: true });
      const overlayPath = join(record.vmDir, 'overlay.qcow2');
      const seedPath = join(record.vmDir, 'seed.iso');
      await createOverlay(image.baseDiskPath, overlayPath);
      const cloud = 'cloudInit' in qemuLabel(label).image;
      let workspaceTar: string | undefined;
      if (payload.workspacePath) {
        workspaceTar = join(record.vmDir, 'workspace.tar');
        await run('tar', ['-C', payload.workspacePath, '-cf', workspaceTar, '.']);
      }
      await createSeed(seedPath, { script: payload.script, env: payload.env, workspaceTar, instanceId: record.id, ...(cloud ? { userData: buildCloudConfig(await readGuestAgent()) } : {}) });
      if (workspaceTar) await rm(workspaceTar, { force: true }); // the seed holds it now
      return { overlayPath, seedPath, runDir };
    },
    async start(record, label) {
      const spec = qemuLabel(label);
      const image = await imageOf(spec.image);
      const chosen = await accelFor(image);
      const cloud = 'cloudInit' in spec.image ? spec.image : undefined;
      const qemu = await launchQemu({
        name: record.domainName, image, overlayPath: record.overlayPath, seedPath: record.seedPath,
        runDir: record.runDir, memoryMb: spec.memoryMb, cpus: spec.cpus, accel: chosen,
        // Cloud images: the seed as a CD-ROM (a virtio seed breaks some distros' root-device detection), NAT by default.
        seedAs: cloud ? 'cdrom' : 'virtio',
        network: spec.network ?? (cloud ? 'nat' : 'none'),
        firmware: spec.firmware ?? 'bios',
        ...(cloud ? { kernelCmdline: cloud.cmdline ?? 'root=LABEL=root rw console=ttyS0' } : {}),
      });
      processes.set(record.id, qemu);
      return { pid: qemu.pid, pidStartTicks: processStartTicks(qemu.pid) ?? 0, accelerator: chosen };
    },
    async waitReady(record, timeoutMs, signal) {
      const qemu = await processOf(record);
      if (!qemu) throw new Error(`the qemu process is gone; console: ${await consoleTail(record.runDir)}`);
      await qemu.agent.waitReady(timeoutMs, signal);
    },
    consoleTail: (record, maxBytes) => consoleTail(record.runDir, maxBytes),
    async readConsole(record, maxBytes) {
      const live = record.runDir ? await readConsoleFile(runDirFiles(record.runDir).consoleLog, maxBytes) : undefined;
      return live ?? readArchivedConsole(options.consoleArchiveDir, record.id, maxBytes);
    },
    async exec(record, { timeoutMs, signal, onOutput }) {
      const qemu = await processOf(record);
      if (!qemu) throw new Error('the qemu process is gone');
      const result = await qemu.agent.run(onOutput, { timeoutMs: timeoutMs > 0 ? timeoutMs : undefined, signal });
      return { exitCode: result.exitCode, signal: result.signal ?? '', timedOut: result.timedOut };
    },
    async unavailableReason(label) {
      const bad = label.backend === 'qemu' && 'cloudInit' in label.image && typeof label.image.disk !== 'string' ? badImages.get(`${label.image.disk.url} ${label.image.disk.sha256}`) : undefined;
      return bad ? `the disk image fails its checksum: ${bad}; fix the catalog's sha256 or the image` : checkQemuLabel(label);
    },
    accelerator: () => accelInfo,
    async collectOutputs(record, request) {
      const qemu = await processOf(record);
      if (!qemu) throw failedPrecondition('VM_GONE', `the qemu process of vm ${record.id} is gone; its outputs cannot be collected`);
      return collectGuestOutputs(qemu.agent, request, (lines) => options.logger.warn('guest listing lines dropped', { vm: record.id, lines: lines.slice(0, 10) }));
    },
    async stop(record, { graceMs, force }) {
      const qemu = await processOf(record);
      if (!qemu) return 'none';
      const how = await stopQemu(qemu, { graceMs, force });
      forget(record);
      return how;
    },
    async destroy(record) {
      const qemu = await processOf(record);
      if (qemu) await stopQemu(qemu, { graceMs: 0, force: true });
      forget(record);
      await mkdir(options.consoleArchiveDir, { recursive: true });
      await archiveConsole(record.runDir, options.consoleArchiveDir, record.id).catch((error: unknown) => options.logger.warn('keeping the console failed', { vm: record.id, error }));
      await rm(record.vmDir, { recursive: true, force: true });
    },
    async reattach(record) {
      return (await processOf(record)) !== undefined;
    },
    exited(record) {
      return processes.get(record.id)?.exited;
    },
    async cleanOrphan(vmDir) {
      const qemu = await attachQemu(join(vmDir, 'run')).catch(() => undefined);
      if (qemu?.isAlive()) await stopQemu(qemu, { graceMs: 0, force: true });
      qemu?.agent.close();
    },
  };
}
