import { readFileSync } from 'node:fs';

/** Path of the binary FileDescriptorSet built by `buf build` from every contract, imports included. */
export const descriptorSetPath = new URL('./generated/descriptor.binpb', import.meta.url);

/** Reads the descriptor set: one FileDescriptorProto per .proto file, with source info. */
export function readDescriptorSet(): Uint8Array {
  return readFileSync(descriptorSetPath);
}
