import { MeshError, status } from '@jobmesh/grpc-kit';

/** INVALID_ARGUMENT for a path, with its own reason (PATH_INVALID, PATH_TOO_LONG, SYMLINK_LOOP). */
export function invalidPath(field: string, reason: string, problem: string): MeshError {
  return new MeshError(status.INVALID_ARGUMENT, reason, `${field}: ${problem}`, { field });
}

/** PERMISSION_DENIED for a path (PATH_OUTSIDE_ROOT, PATH_RESERVED, SYMLINK_DANGLING, ROOT_NOT_REMOVABLE). */
export function deniedPath(field: string, reason: string, problem: string): MeshError {
  return new MeshError(status.PERMISSION_DENIED, reason, `${field}: ${problem}`, { field });
}
