import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';

const keyPattern = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A transfer key: also the fs job id in persistence, so the same rules.
 * @throws MeshError INVALID_ARGUMENT naming `field`
 */
export function requireKey(field: string, key: string): string {
  if (!keyPattern.test(key)) throw invalidArgument(field, 'must be 1 to 200 letters, digits and ._:/@+-, starting with a letter or digit');
  return key;
}

/** A transfer mode other than UNSPECIFIED. @throws MeshError INVALID_ARGUMENT */
export function requireMode(field: string, mode: TransferMode): TransferMode {
  if (!Object.values(TransferMode).includes(mode) || mode <= TransferMode.TRANSFER_MODE_UNSPECIFIED) {
    throw invalidArgument(field, 'must be COPY, MOVE, HARDLINK, REFLINK or AUTO');
  }
  return mode;
}

/** An overwrite policy; UNSPECIFIED means FAIL. @throws MeshError INVALID_ARGUMENT */
export function requireOverwrite(field: string, policy: OverwritePolicy): OverwritePolicy {
  if (!Object.values(OverwritePolicy).includes(policy) || policy < 0) throw invalidArgument(field, 'must be FAIL or REPLACE');
  return policy === OverwritePolicy.OVERWRITE_POLICY_UNSPECIFIED ? OverwritePolicy.OVERWRITE_POLICY_FAIL : policy;
}

/** An empty string or a lower-case UUID. @throws MeshError INVALID_ARGUMENT */
export function optionalUuid(field: string, value: string): string {
  if (value !== '' && !uuidPattern.test(value)) throw invalidArgument(field, 'must be a lower-case UUID');
  return value;
}

/** A lower-case UUID. @throws MeshError INVALID_ARGUMENT */
export function requireUuid(field: string, value: string): string {
  if (!uuidPattern.test(value)) throw invalidArgument(field, 'must be a lower-case UUID');
  return value;
}
