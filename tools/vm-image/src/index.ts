// The command-line builders (test image, Debian image) and what tests and benchmarks use; the
// runtime part (the test image recipe, the guest agent, reading built images) lives in
// @jobmesh/guest-images and is re-exported here for them.
export {
  agentPortName,
  baseDiskLabel,
  debianImageFiles,
  debianImageName,
  defaultImageCacheDir,
  ensureTestImage,
  findDebianImage,
  kernelCmdline,
  readDebianImage,
  readGuestAgent,
  readImageInputs,
  type DebianImage,
  type DebianImageManifest,
  type EnsureTestImageOptions,
  type GuestImage,
  type GuestImageManifest,
  type ImageInputs,
} from '@jobmesh/guest-images';
export {
  bootToMarker,
  catalogLabel,
  debianRecipe,
  ensureDebianImage,
  type BootToMarkerOptions,
  type BootToMarkerResult,
  type EnsureDebianImageOptions,
} from './debian/index.ts';
