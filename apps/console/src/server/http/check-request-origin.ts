import type { IncomingMessage } from 'node:http';
import { HttpError } from './to-error-body.ts';

const loopbackHost = /^(localhost|[^:]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** The host part of a `Host` header (`name:port`, `[v6]:port`), lower-case. */
function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.replace(/:\d+$/, '');
}

/**
 * Refuses requests a page of another site could make through the user's browser: a `Host`
 * that is neither loopback, the console's own listen host nor a configured public host (DNS
 * rebinding; 421), and a request carrying an `Origin` of another host (403). The console uses
 * no cookies and takes the token only from the Authorization header, so nothing else is needed
 * against CSRF; this keeps an open (tokenless) dev API from being driven by a foreign page.
 * @throws HttpError 421 MISDIRECTED_HOST, 403 FOREIGN_ORIGIN
 */
export function checkRequestOrigin(request: IncomingMessage, allowedHosts: ReadonlySet<string>): void {
  const host = request.headers.host ?? '';
  const name = hostName(host);
  if (!loopbackHost.test(name) && !allowedHosts.has(name)) {
    throw new HttpError(421, 'FAILED_PRECONDITION', 'MISDIRECTED_HOST', `host ${name || '(none)'} is not one this console serves; add it to JOBMESH_CONSOLE_PUBLIC_HOSTS`);
  }
  const origin = request.headers.origin;
  if (origin && origin !== 'null') {
    let originHost = '';
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch { /* a malformed origin is foreign */ }
    if (originHost !== host.trim().toLowerCase()) throw new HttpError(403, 'PERMISSION_DENIED', 'FOREIGN_ORIGIN', `requests from ${origin} are not accepted`);
  } else if (origin === 'null') {
    throw new HttpError(403, 'PERMISSION_DENIED', 'FOREIGN_ORIGIN', 'requests from an opaque origin are not accepted');
  }
}
