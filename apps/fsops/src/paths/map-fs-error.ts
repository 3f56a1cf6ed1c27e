import { failedPrecondition, isMeshError, MeshError, notFound, permissionDenied, resourceExhausted, status } from '@jobmesh/grpc-kit';

/**
 * Turns a Node filesystem error met while working on `what` into the error
 * family, so the caller sees a status with a stable reason instead of
 * INTERNAL. MeshErrors pass through unchanged.
 */
export function mapFsError(error: unknown, what: string): MeshError {
  if (isMeshError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const options = { cause: error };
  switch (code) {
    case 'ENOENT': return notFound('PATH_NOT_FOUND', `${what}: does not exist`, options);
    case 'EEXIST': return new MeshError(status.ALREADY_EXISTS, 'DESTINATION_EXISTS', `${what}: already exists`, options);
    case 'EACCES': case 'EPERM': return permissionDenied('FS_PERMISSION_DENIED', `${what}: the filesystem refused access`, options);
    case 'ENOSPC': case 'EDQUOT': return resourceExhausted('NO_SPACE', `${what}: no space left`, options);
    case 'ENOTDIR': return failedPrecondition('NOT_A_DIRECTORY', `${what}: a parent is not a directory`, options);
    case 'EISDIR': return failedPrecondition('IS_A_DIRECTORY', `${what}: is a directory`, options);
    case 'ENOTEMPTY': return failedPrecondition('DIRECTORY_NOT_EMPTY', `${what}: directory not empty`, options);
    case 'EXDEV': return failedPrecondition('CROSS_DEVICE', `${what}: source and destination are on different filesystems`, options);
    case 'EROFS': return failedPrecondition('READ_ONLY_FILESYSTEM', `${what}: read-only filesystem`, options);
    default: return new MeshError(status.INTERNAL, 'FS_ERROR', `${what}: ${code ?? 'filesystem error'}`, options);
  }
}
