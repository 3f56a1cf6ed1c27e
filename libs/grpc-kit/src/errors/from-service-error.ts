import { status, type ServiceError } from '@grpc/grpc-js';
import { MeshError, type StatusCode } from './mesh-error.ts';
import { factsFromMetadata, fieldKey, reasonKey } from './to-status-object.ts';

/**
 * Turns a failed call back into the error family, on the client side, in one
 * place: same code, message, reason and field as the server threw.
 */
export function fromServiceError(error: unknown): MeshError {
  if (error instanceof MeshError) return error;
  const serviceError = error as Partial<ServiceError>;
  if (typeof serviceError?.code !== 'number') {
    return new MeshError(status.UNKNOWN, 'UNKNOWN', error instanceof Error ? error.message : String(error), { cause: error });
  }
  const reason = serviceError.metadata?.get(reasonKey)[0];
  const field = serviceError.metadata?.get(fieldKey)[0];
  return new MeshError(
    serviceError.code as StatusCode,
    reason ? String(reason) : status[serviceError.code],
    serviceError.details || serviceError.message || status[serviceError.code],
    { field: field ? String(field) : undefined, facts: factsFromMetadata(serviceError.metadata), cause: error },
  );
}
