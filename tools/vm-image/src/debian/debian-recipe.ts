/**
 * What the Debian 12 cloud-style image is made of. Every value here goes into the image's
 * cache key (with `customize.sh`, the builder sources and apt's candidate versions).
 */
export const debianRecipe = {
  /** Image name, and the prefix of its cache folder. */
  name: 'debian-12',
  /** The only suite the package mirror here serves. */
  suite: 'bookworm',
  /** mmdebstrap `--include`, on top of `--variant=minbase`. */
  packages: [
    'linux-image-amd64', 'systemd-sysv', 'udev', 'dbus', 'cloud-init', 'ca-certificates', 'git', 'curl',
    'openssh-server', 'sudo', 'ifupdown', 'isc-dhcp-client', 'netbase', 'iproute2', 'e2fsprogs', 'procps',
  ],
  /** Virtual size of the root disk (sparse: the qcow2 holds only what is used). */
  diskBytes: 2 * 1024 ** 3,
  /** Filesystem label of the root disk, found by the initramfs and fstab. */
  rootLabel: 'root',
  /** Kernel command line for booting with the image's own kernel and initrd. */
  kernelCmdline: 'root=LABEL=root rw console=ttyS0',
} as const;
