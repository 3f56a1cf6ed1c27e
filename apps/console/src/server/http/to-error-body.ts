import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { ApiErrorBody } from '../../shared/api-types.ts';
import { httpStatusOf } from './http-status-of.ts';

/** An error of the console itself (a bad query string, a missing route): never from the API. */
export class HttpError extends Error {
  readonly httpStatus: number;
  readonly body: ApiErrorBody;
  constructor(httpStatus: number, code: string, reason: string, message: string, field?: string) {
    super(message);
    this.name = 'HttpError';
    this.httpStatus = httpStatus;
    this.body = { code, reason, message, ...(field && { field }) };
  }
}

/**
 * The one place a thrown value becomes an HTTP error answer. An API error keeps its gRPC
 * status name, reason, message and field (PERMISSION_DENIED → 403 with `code:
 * "PERMISSION_DENIED"`); anything else is `INTERNAL "internal error"` (logged by the caller).
 */
export function toErrorBody(error: unknown): { httpStatus: number; body: ApiErrorBody; unexpected: boolean } {
  if (error instanceof HttpError) return { httpStatus: error.httpStatus, body: error.body, unexpected: false };
  if (isMeshError(error)) {
    const body: ApiErrorBody = { code: status[error.code] ?? 'UNKNOWN', reason: error.reason, message: error.message, ...(error.field && { field: error.field }) };
    return { httpStatus: httpStatusOf(error.code), body, unexpected: error.code === status.INTERNAL || error.code === status.UNKNOWN };
  }
  return { httpStatus: 500, body: { code: 'INTERNAL', reason: 'INTERNAL', message: 'internal error' }, unexpected: true };
}
