export { ensureTestImage, type EnsureTestImageOptions } from './ensure-test-image.ts';
export { agentPortName, baseDiskLabel, type GuestImage, type GuestImageManifest } from './guest-image.ts';
export { kernelCmdline } from './build-image.ts';
export { readImageInputs, type ImageInputs } from './image-inputs.ts';
export { readGuestAgent } from './read-guest-agent.ts';
