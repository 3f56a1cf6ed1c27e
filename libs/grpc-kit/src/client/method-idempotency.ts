import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { readDescriptorSet } from '@jobmesh/contracts/descriptor-set';

let safeMethods: Set<string> | undefined;

/**
 * True when the contract declares the method `IDEMPOTENT` or `NO_SIDE_EFFECTS`
 * (`option idempotency_level`), so a client may retry it after UNAVAILABLE.
 * @param path full method path, e.g. `/jobmesh.persistence.v1.JobStoreService/GetJob`
 */
export function isIdempotentMethod(path: string): boolean {
  if (!safeMethods) {
    safeMethods = new Set();
    for (const file of fromBinary(FileDescriptorSetSchema, readDescriptorSet()).file) {
      for (const service of file.service) {
        for (const method of service.method) {
          const level = method.options?.idempotencyLevel ?? MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
          if (level !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN) {
            safeMethods.add(`/${file.package}.${service.name}/${method.name}`);
          }
        }
      }
    }
  }
  return safeMethods.has(path);
}
