import { z } from 'zod';

const labelName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1 to 63 of a-z 0-9 . _ - starting with a letter or digit');

/** Image of a qemu label: the cached test image, or explicit files (relative to the catalog file). */
export const imageSpecSchema = z.union([
  z.object({ testImage: z.literal(true) }).strict(),
  z.object({ kernel: z.string().min(1), initrd: z.string().min(1), disk: z.string().min(1), manifest: z.string().min(1).optional() }).strict(),
]);

const common = {
  name: labelName,
  aliases: z.array(labelName).default([]),
  /** VMs of this label that may exist at once. */
  slots: z.number().int().min(1).max(1024),
};

/** One label of the catalog file. */
export const labelSpecSchema = z.discriminatedUnion('backend', [
  z.object({ ...common, backend: z.literal('process') }).strict(),
  z.object({
    ...common,
    backend: z.literal('qemu'),
    image: imageSpecSchema,
    /** Guest memory; 128 is the smallest that always booted (STACK.md). */
    memoryMb: z.number().int().min(128).max(1_048_576).default(256),
    cpus: z.number().int().min(1).max(256).default(1),
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
