import { z } from 'zod';

const labelName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1 to 63 of a-z 0-9 . _ - starting with a letter or digit');

/**
 * Image of a qemu label: the cached test image; explicit files of a jobmesh guest (kernel, initrd
 * and a disk whose /init runs the agent); or a cloud image (`cloudInit: true`) as users have
 * them: a disk (qcow2 or raw, detected) booted by the firmware, or by a kernel + initrd when given,
 * reached through cloud-init NoCloud. Paths relative to the catalog file.
 */
export const imageSpecSchema = z.union([
  z.object({ testImage: z.literal(true) }).strict(),
  z.object({ kernel: z.string().min(1), initrd: z.string().min(1), disk: z.string().min(1), manifest: z.string().min(1).optional() }).strict(),
  z.object({
    cloudInit: z.literal(true),
    /** A local path, or a URL (file://, http://, https://) with its required sha256: fetched once into the image cache and verified. */
    disk: z.union([z.string().min(1), z.object({ url: z.string().url(), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits') }).strict()]),
    kernel: z.string().min(1).optional(),
    initrd: z.string().min(1).optional(),
    /** Kernel command line with a kernel; @default `root=LABEL=root rw console=ttyS0` */
    cmdline: z.string().min(1).max(4096).optional(),
  }).strict().refine((image) => (image.kernel === undefined) === (image.initrd === undefined), { message: 'kernel and initrd go together: give both or neither', path: ['initrd'] }),
]);

const common = {
  name: labelName,
  aliases: z.array(labelName).default([]),
  /** VMs of this label that may exist at once. */
  slots: z.number().int().min(1).max(1024),
};

/** One label of the catalog file. */
export const labelSpecSchema = z.discriminatedUnion('backend', [
  z.object({
    ...common,
    backend: z.literal('process'),
    /**
     * Runs this label's jobs as host processes also when vm-runner listens on an address other
     * machines can reach (JOBMESH_ALLOW_HOST_JOBS=0 still wins). @default false: loopback only
     */
    allowHostJobs: z.boolean().optional(),
  }).strict(),
  z.object({
    ...common,
    backend: z.literal('qemu'),
    image: imageSpecSchema,
    /** Guest memory; 128 is the smallest that always booted (STACK.md). */
    memoryMb: z.number().int().min(128).max(1_048_576).default(256),
    cpus: z.number().int().min(1).max(256).default(1),
    /** Boot firmware of a disk without a kernel: SeaBIOS, or OVMF (Debian `ovmf`). @default bios */
    firmware: z.enum(['bios', 'uefi']).optional(),
    /**
     * The guest's network: `nat` (qemu user-mode NAT, virtio-net: the guest reaches what the host
     * reaches), `host-only` (the same with restrict=on: nothing beyond the host's forwards), `none`.
     * @default nat for cloud images, none for the test guest
     */
    network: z.enum(['none', 'nat', 'host-only']).optional(),
    /** Longest wait for the agent's READY, in ms; @default the vm-runner's JOBMESH_VMRUNNER_READY_TIMEOUT_MS */
    readyTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  }).strict(),
]);

/** The catalog file: `{ "labels": [ ... ] }`. */
export const catalogFileSchema = z.object({ labels: z.array(labelSpecSchema).min(1) }).strict();

/** Image spec of a qemu label as written in the file. */
export type ImageSpec = z.infer<typeof imageSpecSchema>;
/** A label as written in the file, defaults applied. */
export type LabelSpec = z.infer<typeof labelSpecSchema>;
/** The catalog file, defaults applied. */
export type CatalogFile = z.infer<typeof catalogFileSchema>;
