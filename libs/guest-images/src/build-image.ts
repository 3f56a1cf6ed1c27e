import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBaseDisk } from './build-base-disk.ts';
import { buildInitramfs } from './build-initramfs.ts';
import { extractVmlinux } from './extract-vmlinux.ts';
import { agentPortName, type GuestImageManifest } from './guest-image.ts';
import type { ImageInputs } from './image-inputs.ts';
import { resolveModules } from './resolve-modules.ts';

/** File names inside an image directory. */
export const imageFiles = { kernel: 'vmlinux', initrd: 'initrd.gz', baseDisk: 'base.img', manifest: 'manifest.json' } as const;

/** Kernel command line of the test guest: serial console, quiet, reboot (= qemu exit) on panic. */
export const kernelCmdline = 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init';

/**
 * Builds every image file into `dir` (which must exist and be empty); the manifest is
 * written last.
 */
export async function buildImage(inputs: ImageInputs, dir: string): Promise<void> {
  const staging = path.join(dir, '.staging');
  await extractVmlinux(inputs.kernel.vmlinuzPath, path.join(dir, imageFiles.kernel));
  const modulePaths = await resolveModules(inputs.kernel.version);
  const modules = await buildInitramfs(
    {
      busyboxPath: inputs.busyboxPath,
      modulePaths,
      guestScripts: inputs.guest.scripts,
      init: inputs.guest.init,
      files: { 'etc/acpi/PWRF/00000080': inputs.guest.acpiPowerButton },
    },
    path.join(staging, 'initramfs'),
    path.join(dir, imageFiles.initrd),
  );
  await mkdir(path.join(staging, 'disk'), { recursive: true });
  await buildBaseDisk(path.join(dir, imageFiles.baseDisk), path.join(staging, 'disk'));
  const sha256: Record<string, string> = {};
  for (const name of [imageFiles.kernel, imageFiles.initrd, imageFiles.baseDisk]) sha256[name] = await sha256File(path.join(dir, name));
  const manifest: GuestImageManifest = {
    version: inputs.version,
    kernelVersion: inputs.kernel.version,
    busyboxVersion: inputs.busyboxVersion,
    kernelCmdline,
    agentPortName,
    modules,
    sha256,
    builtAt: new Date().toISOString(),
  };
  await writeFile(path.join(dir, imageFiles.manifest), JSON.stringify(manifest, null, 2) + '\n');
}

/** sha256 of a file, hex. */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex')));
  });
}
