import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** An installed Debian kernel: its compressed image and its module tree. */
export interface InstalledKernel {
  version: string;
  vmlinuzPath: string;
  modulesDir: string;
}

/**
 * Picks the newest kernel in /boot (or JOBMESH_VMIMAGE_BOOT_DIR) that has a matching /lib/modules directory
 * (Debian's `linux-image-amd64`).
 *
 * @throws Error when no usable kernel is installed, naming the package to install.
 */
export async function findKernel(bootDir = process.env.JOBMESH_VMIMAGE_BOOT_DIR ?? '/boot', modulesRoot = '/lib/modules'): Promise<InstalledKernel> {
  const names = existsSync(bootDir) ? await readdir(bootDir) : [];
  const versions = names
    .filter((name) => name.startsWith('vmlinuz-'))
    .map((name) => name.slice('vmlinuz-'.length))
    .filter((version) => existsSync(`${modulesRoot}/${version}`))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const version = versions.at(-1);
  if (!version) throw new Error(`no kernel with modules found in ${bootDir}: apt-get install linux-image-amd64`);
  return { version, vmlinuzPath: `${bootDir}/vmlinuz-${version}`, modulesDir: `${modulesRoot}/${version}` };
}
