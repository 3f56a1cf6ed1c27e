import { readFileSync } from 'node:fs';

/** Path of the binary FileDescriptorSet built by `buf build` from every contract, imports included. */
export const descriptorSetPath = new URL('./generated/descriptor.binpb', import.meta.url);

/** Reads the descriptor set: one FileDescriptorProto per .proto file, with source info. */
export function readDescriptorSet(): Uint8Array {
  return readFileSync(descriptorSetPath);
}

/** What the generator extracted from the descriptor set, for start-up (see contract-index.json). */
export interface ContractIndex {
  /** Fully-qualified names of every service in the set. */
  services: string[];
  /** Paths (`/package.Service/Method`) of the methods marked IDEMPOTENT or NO_SIDE_EFFECTS. */
  idempotentMethods: string[];
}

let contractIndex: ContractIndex | undefined;

/** The contract index written by `npm run generate` (read once). */
export function readContractIndex(): ContractIndex {
  contractIndex ??= JSON.parse(readFileSync(new URL('./generated/contract-index.json', import.meta.url), 'utf8')) as ContractIndex;
  return contractIndex;
}
