/**
 * A built test guest image: everything qemu needs to boot the jobmesh test guest.
 * All paths are absolute and live under `<cacheDir>/<version>/`; treat them as read-only.
 */
export interface GuestImage {
  /** Uncompressed `vmlinux` (boots fast under TCG: no in-guest decompression). */
  kernelPath: string;
  /** gzip'd newc cpio: busybox, the kernel modules, `/init` and the guest agent. */
  initrdPath: string;
  /** Raw ext4 disk (label `jobmesh-base`) the guest mounts read-write at `/mnt/disk`; use it only as the backing file of an overlay. */
  baseDiskPath: string;
  /** `manifest.json`: versions, kernel command line, module list, file checksums. */
  manifestPath: string;
  /** Hash of the build inputs (kernel, busybox, guest sources, builder); the cache key. */
  version: string;
}

/** Contents of `manifest.json`, written last so its presence marks a complete image. */
export interface GuestImageManifest {
  version: string;
  kernelVersion: string;
  busyboxVersion: string;
  /** Kernel command line the guest expects (console on ttyS0, `/init` from the initramfs). */
  kernelCmdline: string;
  /** Name of the virtio-serial port the guest agent speaks on. */
  agentPortName: string;
  /** Kernel modules insmod'ed by `/init`, in load order (paths inside the initramfs). */
  modules: string[];
  /** sha256 of each file, by file name. */
  sha256: Record<string, string>;
  builtAt: string;
}

/** Name of the virtio-serial port the guest agent opens. */
export const agentPortName = 'jobmesh.agent';

/** Filesystem label of the base disk; `/init` finds it with `findfs`. */
export const baseDiskLabel = 'jobmesh-base';
