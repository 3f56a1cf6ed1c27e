/** Contents of `image.json` in an image folder; paths are relative to that folder. */
export interface DebianImageManifest {
  name: string;
  /** Compressed kernel (`vmlinuz`) taken from the image's `/boot`. */
  kernel: string;
  /** The initramfs Debian generated inside the image. */
  initrd: string;
  disk: string;
  diskFormat: 'qcow2';
  diskSha256: string;
  /** Command line to boot `kernel` with: root by label, console on ttyS0. */
  kernelCmdline: string;
  kernelVersion: string;
  /** Version of each package of the recipe, as installed in the image. */
  packages: Record<string, string>;
  /** The cache key: first 16 hex digits of the sha256 of the recipe's inputs. */
  hash: string;
  /** Seconds the build took. */
  buildSeconds: number;
  builtAt: string;
}

/** A built Debian image: absolute paths into `<cacheDir>/debian-12-<hash>/`. Read-only: boot it through an overlay. */
export interface DebianImage {
  dir: string;
  kernelPath: string;
  initrdPath: string;
  diskPath: string;
  manifestPath: string;
  manifest: DebianImageManifest;
}
