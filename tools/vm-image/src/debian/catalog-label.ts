import type { DebianImage } from '@jobmesh/guest-images';

/**
 * A vm-runner catalog label for the image, ready to paste into a catalog file's `labels`: a
 * cloud image (reached through cloud-init NoCloud) booted with its own kernel and initrd, on
 * NAT, with the memory cloud-init wants and a ready timeout that fits a TCG boot.
 */
export function catalogLabel(image: DebianImage): Record<string, unknown> {
  return {
    name: image.manifest.name,
    backend: 'qemu',
    image: { cloudInit: true, disk: image.diskPath, kernel: image.kernelPath, initrd: image.initrdPath, cmdline: image.manifest.kernelCmdline },
    memoryMb: 1024,
    cpus: 1,
    slots: 1,
    network: 'nat',
    readyTimeoutMs: 300_000,
  };
}
