import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel, type InstalledKernel } from './find-kernel.ts';
import { runCommand } from './run-command.ts';

const srcDir = path.dirname(fileURLToPath(import.meta.url));

/** Guest scripts shipped in the initramfs, read from `src/guest/`. */
export interface GuestSources {
  init: string;
  scripts: Record<string, string>;
  acpiPowerButton: string;
}

/** Everything the image is built from, and the version (hash) they give. */
export interface ImageInputs {
  kernel: InstalledKernel;
  busyboxPath: string;
  busyboxVersion: string;
  guest: GuestSources;
  version: string;
}

/** Builder sources: a change to how the image is made is a new version too. */
const builderFiles = ['build-initramfs.ts', 'build-base-disk.ts', 'extract-vmlinux.ts', 'resolve-modules.ts', 'build-image.ts'];

/**
 * Collects the build inputs and hashes them into the image version: kernel version and
 * vmlinuz bytes, busybox version and bytes, guest sources, builder sources.
 *
 * @throws Error naming the Debian package to install when an input is missing.
 */
export async function readImageInputs(busyboxPath = '/bin/busybox'): Promise<ImageInputs> {
  const kernel = await findKernel();
  const busybox = await readFile(busyboxPath).catch((error: unknown) => {
    throw new Error(`${busyboxPath} missing: apt-get install busybox-static`, { cause: error });
  });
  const busyboxVersion = /BusyBox (v\S+)/.exec((await runCommand(busyboxPath, ['--help']).catch(() => ({ stdout: busybox.subarray(0, 0) }))).stdout.toString())?.[1] ?? 'unknown';
  const read = (name: string) => readFile(path.join(srcDir, 'guest', name), 'utf8');
  const guest: GuestSources = {
    init: await read('init.sh'),
    scripts: { 'agent.sh': await read('agent.sh'), 'job.sh': await read('job.sh'), 'poweroff.sh': await read('poweroff.sh') },
    acpiPowerButton: await read('acpi-power-button.sh'),
  };
  const hash = createHash('sha256');
  const part = (label: string, data: string | Buffer) => hash.update(`${label}\0${data.length}\0`).update(data);
  part('kernel', kernel.version);
  part('vmlinuz', await readFile(kernel.vmlinuzPath));
  part('busybox', busybox);
  part('init', guest.init);
  for (const [name, text] of Object.entries(guest.scripts)) part(name, text);
  part('acpi', guest.acpiPowerButton);
  for (const name of builderFiles) part(name, await readFile(path.join(srcDir, name)));
  return { kernel, busyboxPath, busyboxVersion, guest, version: hash.digest('hex').slice(0, 16) };
}
