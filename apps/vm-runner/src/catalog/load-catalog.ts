import type { ImageSpec } from './catalog-schema.ts';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { catalogFileSchema, type CatalogFile } from './catalog-schema.ts';
import { defaultCatalogWithImages } from './default-catalog.ts';

/**
 * Reads and validates the catalog file, resolving image paths relative to it.
 * @param path the JSON file; undefined = the built-in default catalog
 * @throws Error listing every problem of the file
 */
export async function loadCatalog(path: string | undefined): Promise<CatalogFile> {
  if (path === undefined) return defaultCatalogWithImages();
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`catalog ${path}: cannot read it as JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = catalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.map(String).join('.') || '(file)'}: ${i.message}`);
    throw new Error(`catalog ${path} is invalid:\n${problems.join('\n')}`);
  }
  const base = dirname(resolve(path));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const resolveImage = (image: ImageSpec): ImageSpec => {
    if ('testImage' in image) return image;
    if ('cloudInit' in image) return { ...image, disk: typeof image.disk === 'string' ? at(image.disk) : image.disk, ...(image.kernel && image.initrd ? { kernel: at(image.kernel), initrd: at(image.initrd) } : {}) };
    return { kernel: at(image.kernel), initrd: at(image.initrd), disk: at(image.disk), manifest: image.manifest && at(image.manifest) };
  };
  return { labels: parsed.data.labels.map((label) => (label.backend === 'qemu' ? { ...label, image: resolveImage(label.image) } : label)) };
}
