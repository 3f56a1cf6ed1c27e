import { readContractIndex } from '@jobmesh/contracts/descriptor-set';

let safeMethods: Set<string> | undefined;

/**
 * True when the contract declares the method `IDEMPOTENT` or `NO_SIDE_EFFECTS`
 * (`option idempotency_level`), so a client may retry it after UNAVAILABLE.
 * Read from the contract index the generator wrote (decoding the descriptor set here cost
 * every process about 20 MiB).
 * @param path full method path, e.g. `/jobmesh.persistence.v1.JobStoreService/GetJob`
 */
export function isIdempotentMethod(path: string): boolean {
  safeMethods ??= new Set(readContractIndex().idempotentMethods);
  return safeMethods.has(path);
}
