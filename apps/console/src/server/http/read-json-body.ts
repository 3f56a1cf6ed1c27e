import type { IncomingMessage } from 'node:http';
import { HttpError } from './to-error-body.ts';

/**
 * Reads a JSON request body of at most `maxBytes`. Only `application/json` is taken: a form of
 * another site can post text/plain without a CORS preflight, never JSON.
 * @throws HttpError 415 for another content type, 413 past maxBytes, 400 for bad JSON
 */
export async function readJsonBody(request: IncomingMessage, maxBytes = 64 * 1024): Promise<unknown> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'INVALID_ARGUMENT', 'JSON_REQUIRED', 'the body must be application/json');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of request as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > maxBytes) throw new HttpError(413, 'INVALID_ARGUMENT', 'BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`);
    parts.push(part);
  }
  try {
    return parts.length ? JSON.parse(Buffer.concat(parts).toString('utf8')) : {};
  } catch {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'BAD_JSON', 'the body is not valid JSON');
  }
}
