import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DebianImage } from '@jobmesh/guest-images';
import { bootTools, requireTools } from './require-tools.ts';
import { runLogged } from './run-logged.ts';

/** Options of {@link bootToMarker}. */
export interface BootToMarkerOptions {
  /** Longest wait, from launch, for the marker and then qemu's exit; in ms. */
  timeoutMs: number;
  /** Word the guest prints, followed by its kernel release. @default 'JOBMESH-BOOT-OK' */
  marker?: string;
  /** @default 1024 */
  memoryMb?: number;
  /** @default 1 */
  cpus?: number;
  /** @default 'tcg' (KVM here is present but does not boot stock kernels: STACK.md) */
  accel?: 'tcg' | 'kvm';
  /** Attach a NIC on qemu's user-mode NAT (virtio-net). @default true */
  network?: boolean;
  /** Folder for the overlay, seed and `console.log`, kept afterwards. @default a temporary folder, removed */
  workDir?: string;
}

/** What {@link bootToMarker} saw. */
export interface BootToMarkerResult {
  /** Launch of qemu → the marker line on the serial console. */
  markerMs: number;
  /** Launch of qemu → qemu's exit after the guest powered off. */
  exitMs: number;
  /** The guest's `uname -r`. */
  kernelRelease: string;
  /** The guest's IPv4 addresses when it printed the marker (empty without a NIC or lease). */
  addresses: string[];
  markerLine: string;
}

/** How often the console file is read. */
const pollMs = 100;

/**
 * Boots an image the way a user would with plain qemu, and times it: an overlay on the image,
 * its kernel and initrd, a NoCloud seed on an IDE CD-ROM whose `runcmd` prints the marker on
 * ttyS0 and powers off, serial to a file. The reference point for the mesh's prepare → ready.
 *
 * @throws Error when qemu, qemu-img or genisoimage is missing (naming the packages), when qemu
 *   fails, or when the marker or the exit does not come within `timeoutMs`, with the console's
 *   last lines.
 */
export async function bootToMarker(image: DebianImage, options: BootToMarkerOptions): Promise<BootToMarkerResult> {
  requireTools('booting the Debian image', bootTools);
  const marker = options.marker ?? 'JOBMESH-BOOT-OK';
  const workDir = options.workDir ?? (await mkdtemp(path.join(tmpdir(), 'jobmesh-boot-')));
  try {
    const overlay = path.join(workDir, 'overlay.qcow2');
    const seed = path.join(workDir, 'seed.iso');
    const consolePath = path.join(workDir, 'console.log');
    await runLogged('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', image.manifest.diskFormat, '-b', image.diskPath, overlay]);
    await writeFile(path.join(workDir, 'user-data'), [
      '#cloud-config',
      'runcmd:',
      `  - echo "${marker} $(uname -r) $(hostname -I)" > /dev/ttyS0`,
      '  - poweroff',
      '',
    ].join('\n'));
    await writeFile(path.join(workDir, 'meta-data'), `instance-id: boot-${process.pid}-${Date.now()}\nlocal-hostname: debian12\n`);
    await runLogged('genisoimage', ['-quiet', '-output', seed, '-volid', 'cidata', '-joliet', '-rock', path.join(workDir, 'user-data'), path.join(workDir, 'meta-data')]);
    await writeFile(consolePath, '');

    const args = [
      '-machine', 'q35', '-accel', options.accel ?? 'tcg', '-m', String(options.memoryMb ?? 1024), '-smp', String(options.cpus ?? 1),
      '-nographic', '-monitor', 'none', '-no-reboot', '-serial', `file:${consolePath}`,
      '-kernel', image.kernelPath, '-initrd', image.initrdPath, '-append', image.manifest.kernelCmdline,
      '-drive', `file=${overlay},if=virtio`,
      '-drive', `file=${seed},media=cdrom,if=ide`,
      ...(options.network === false ? ['-nic', 'none'] : ['-nic', 'user,model=virtio-net-pci']),
    ];
    const began = performance.now();
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    qemu.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exitedMs: number | undefined;
    let exitStatus = '';
    const exited = new Promise<void>((resolve) => {
      qemu.on('close', (code, signal) => {
        exitedMs = performance.now() - began;
        exitStatus = String(code ?? signal);
        resolve();
      });
      qemu.on('error', (error) => { stderr += error.message; });
    });
    const pattern = new RegExp(`^${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\d\\S*)(.*)$`, 'm');
    const fail = async (why: string): Promise<never> => {
      qemu.kill('SIGKILL');
      await exited;
      const console = await readFile(consolePath, 'utf8').catch(() => '');
      throw new Error(`${why}; qemu: ${stderr.trim() || 'no errors'}; console's last lines:\n${console.split('\n').slice(-30).join('\n')}`);
    };
    try {
      let found: RegExpExecArray | null = null;
      let markerMs = 0;
      while (!found) {
        found = pattern.exec(await readFile(consolePath, 'utf8'));
        if (found) markerMs = performance.now() - began;
        else if (exitedMs !== undefined) await fail(`qemu exited (${exitStatus}) before the guest printed ${marker}`);
        else if (performance.now() - began > options.timeoutMs) await fail(`no ${marker} on the console within ${options.timeoutMs} ms`);
        else await sleep(pollMs);
      }
      while (exitedMs === undefined) {
        if (performance.now() - began > options.timeoutMs) await fail(`the guest printed ${marker} but qemu did not exit within ${options.timeoutMs} ms`);
        await sleep(pollMs);
      }
      return {
        markerMs: Math.round(markerMs),
        exitMs: Math.round(exitedMs),
        kernelRelease: found[1] ?? '',
        addresses: (found[2] ?? '').trim().split(/\s+/).filter((word) => /^\d+\.\d+\.\d+\.\d+$/.test(word)),
        markerLine: found[0].trim(),
      };
    } finally {
      if (exitedMs === undefined) {
        qemu.kill('SIGKILL');
        await exited;
      }
    }
  } finally {
    if (!options.workDir) await rm(workDir, { recursive: true, force: true });
  }
}
