export { ensureTestImage, type EnsureTestImageOptions } from './ensure-test-image.ts';
export { agentPortName, baseDiskLabel, type GuestImage, type GuestImageManifest } from './guest-image.ts';
export { kernelCmdline } from './build-image.ts';
export { readImageInputs, type ImageInputs } from './image-inputs.ts';
export { readGuestAgent } from './read-guest-agent.ts';
export {
  bootToMarker,
  catalogLabel,
  debianImageFiles,
  debianRecipe,
  defaultImageCacheDir,
  ensureDebianImage,
  findDebianImage,
  readDebianImage,
  type BootToMarkerOptions,
  type BootToMarkerResult,
  type DebianImage,
  type DebianImageManifest,
  type EnsureDebianImageOptions,
} from './debian/index.ts';
