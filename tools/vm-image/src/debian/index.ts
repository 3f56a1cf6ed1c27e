export { ensureDebianImage, readDebianImage, type EnsureDebianImageOptions } from './ensure-debian-image.ts';
export { findDebianImage } from './find-debian-image.ts';
export { defaultImageCacheDir } from './default-image-cache-dir.ts';
export { debianRecipe, debianImageFiles } from './debian-recipe.ts';
export type { DebianImage, DebianImageManifest } from './debian-image.ts';
export { bootToMarker, type BootToMarkerOptions, type BootToMarkerResult } from './boot-to-marker.ts';
export { catalogLabel } from './catalog-label.ts';
