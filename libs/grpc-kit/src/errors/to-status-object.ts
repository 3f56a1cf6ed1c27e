import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from '@jobmesh/logger';
import { MeshError } from './mesh-error.ts';

/** Trailer carrying MeshError.reason. */
export const reasonKey = 'jobmesh-reason';
/** Trailer carrying MeshError.field. */
export const fieldKey = 'jobmesh-field';
const detailPrefix = 'jobmesh-detail-';

/**
 * The one place where a thrown value becomes a gRPC status. A MeshError keeps
 * its code, message, reason and field; anything else is logged and becomes
 * INTERNAL "internal error", so no stack trace or driver message reaches the wire.
 */
export function toStatusObject(error: unknown, logger: Logger, method: string): StatusObject {
  const metadata = new Metadata();
  if (error instanceof MeshError) {
    metadata.set(reasonKey, error.reason);
    if (error.field) metadata.set(fieldKey, error.field);
    for (const [key, value] of Object.entries(error.facts)) metadata.set(detailPrefix + key.toLowerCase(), value);
    if (error.code === status.INTERNAL || error.code === status.UNKNOWN) {
      logger.error('internal error', { method, reason: error.reason, error });
    }
    return { code: error.code, details: error.message, metadata };
  }
  logger.error('unexpected error in handler', { method, error });
  metadata.set(reasonKey, 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal error', metadata };
}

/** Reads the fact trailers written by toStatusObject. */
export function factsFromMetadata(metadata: Metadata | undefined): Record<string, string> {
  const details: Record<string, string> = {};
  if (!metadata) return details;
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (key.startsWith(detailPrefix)) details[key.slice(detailPrefix.length)] = String(value);
  }
  return details;
}
