export { ensureDebianImage, type EnsureDebianImageOptions } from './ensure-debian-image.ts';
export { debianRecipe } from './debian-recipe.ts';
export { bootToMarker, type BootToMarkerOptions, type BootToMarkerResult } from './boot-to-marker.ts';
export { catalogLabel } from './catalog-label.ts';
