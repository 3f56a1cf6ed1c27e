import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};

/**
 * Headers of every page: nothing but this console may be loaded or called (no CDN, no request
 * leaves the machine), no framing, no referrer.
 */
export const securityHeaders = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Answers a GET for the built front end in `dir`: a file under it, or index.html for any other
 * path (the pages' own URLs: /jobs/<id>, /vms, ...). Hashed assets are cached for good,
 * index.html never.
 */
export async function serveStatic(dir: string, path: string, response: ServerResponse): Promise<void> {
  const relativePath = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  let file = join(dir, relativePath);
  const inside = file.startsWith(dir + sep);
  const found = inside ? await stat(file).then((s) => s.isFile(), () => false) : false;
  if (!found) file = join(dir, 'index.html');
  const isAsset = found && relativePath.startsWith(`assets${sep}`);
  response.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...securityHeaders,
  });
  createReadStream(file).pipe(response);
}
