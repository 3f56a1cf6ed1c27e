import { Metadata } from '@jobmesh/grpc-kit';
import type { IncomingMessage } from 'node:http';

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The browser's `Authorization: Bearer <token>` as gRPC metadata for the public API, unchanged;
 * none without the header. The console keeps no token: the browser sends it on every request.
 */
export function bearerMetadata(request: IncomingMessage): Metadata | undefined {
  const match = bearer.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${match[1]}`);
  return metadata;
}
