import { status } from '@grpc/grpc-js';
import { MeshError, type MeshErrorOptions } from './mesh-error.ts';

/** INVALID_ARGUMENT naming the field: `<field>: <problem>`. */
export function invalidArgument(field: string, problem: string, options: MeshErrorOptions = {}): MeshError {
  return new MeshError(status.INVALID_ARGUMENT, options.reason ?? 'INVALID_FIELD', `${field}: ${problem}`, {
    ...options,
    field,
  });
}

/** NOT_FOUND with a reason such as `JOB_NOT_FOUND`. */
export function notFound(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.NOT_FOUND, reason, message, options);
}

/** ALREADY_EXISTS with a reason such as `JOB_CONFLICT`. */
export function alreadyExists(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.ALREADY_EXISTS, reason, message, options);
}

/** FAILED_PRECONDITION with a reason such as `STATE_MISMATCH` or `LEASE_LOST`. */
export function failedPrecondition(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.FAILED_PRECONDITION, reason, message, options);
}

/** UNAVAILABLE: a dependency is down; idempotent calls may be retried. */
export function unavailable(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.UNAVAILABLE, reason, message, options);
}

/** DEADLINE_EXCEEDED with a reason such as `STATEMENT_TIMEOUT`. */
export function deadlineExceeded(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.DEADLINE_EXCEEDED, reason, message, options);
}

/** ABORTED: a conflict that a retry of the whole operation may resolve. */
export function aborted(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.ABORTED, reason, message, options);
}

/** UNAUTHENTICATED with a reason such as `TOKEN_MISSING`: the caller did not prove who it is. */
export function unauthenticated(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.UNAUTHENTICATED, reason, message, options);
}

/** PERMISSION_DENIED with a reason such as `PATH_OUTSIDE_ROOT`. */
export function permissionDenied(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.PERMISSION_DENIED, reason, message, options);
}

/** RESOURCE_EXHAUSTED with a reason such as `QUEUE_FULL`. */
export function resourceExhausted(reason: string, message: string, options?: MeshErrorOptions): MeshError {
  return new MeshError(status.RESOURCE_EXHAUSTED, reason, message, options);
}

/** OUT_OF_RANGE naming the field: `<field>: <problem>` (e.g. an offset past the end of a file). */
export function outOfRange(field: string, problem: string, options: MeshErrorOptions = {}): MeshError {
  return new MeshError(status.OUT_OF_RANGE, options.reason ?? 'OUT_OF_RANGE', `${field}: ${problem}`, { ...options, field });
}
