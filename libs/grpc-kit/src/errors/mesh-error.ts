import { status } from '@grpc/grpc-js';

/** A gRPC status code, e.g. `status.NOT_FOUND`. */
export type StatusCode = (typeof status)[keyof typeof status];

/** What a MeshError carries besides its message. */
export interface MeshErrorOptions {
  /** Name of the request field at fault, for INVALID_ARGUMENT. */
  field?: string;
  /** A stable machine reason other than the factory's default, e.g. `UNKNOWN_LABEL`. */
  reason?: string;
  /** Extra machine-readable facts, sent as `jobmesh-detail-*` trailers. */
  facts?: Record<string, string>;
  /** The error that led to this one; always passed on. */
  cause?: unknown;
}

/**
 * The one error family of the mesh. Handlers throw only these; the server
 * adapter turns them into a gRPC status with the message and, in trailers,
 * the stable machine `reason` (e.g. `JOB_NOT_FOUND`) and the field at fault.
 * Clients turn a failed call back into a MeshError with the same code and reason.
 */
export class MeshError extends Error {
  readonly code: StatusCode;
  readonly reason: string;
  readonly field: string | undefined;
  /** Machine-readable facts (not named `details`: test runners read that name as a diff). */
  readonly facts: Record<string, string>;

  constructor(code: StatusCode, reason: string, message: string, options: MeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeshError';
    this.code = code;
    this.reason = reason;
    this.field = options.field;
    this.facts = options.facts ?? {};
  }
}

/** True for a MeshError with the given code (and reason, when given). */
export function isMeshError(error: unknown, code?: StatusCode, reason?: string): error is MeshError {
  return (
    error instanceof MeshError &&
    (code === undefined || error.code === code) &&
    (reason === undefined || error.reason === reason)
  );
}
