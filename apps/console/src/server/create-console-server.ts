import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@jobmesh/logger';
import type { PublicApi } from './api/create-public-api.ts';
import { artifactRoutes } from './artifacts/artifact-routes.ts';
import { createTicketStore } from './downloads/create-ticket-store.ts';
import { downloadRoutes } from './downloads/download-routes.ts';
import { bearerMetadata } from './http/bearer-metadata.ts';
import { checkRequestOrigin } from './http/check-request-origin.ts';
import { createRouter } from './http/create-router.ts';
import { HttpError, toErrorBody } from './http/to-error-body.ts';
import { jobActionRoutes } from './jobs/job-action-routes.ts';
import { jobRoutes } from './jobs/job-routes.ts';
import { logRoutes } from './logs/log-routes.ts';
import { operationRoutes } from './operations/operation-routes.ts';
import { pipelineActionRoutes } from './pipelines/pipeline-action-routes.ts';
import { pipelineRoutes } from './pipelines/pipeline-routes.ts';
import { sessionRoutes } from './session/session-routes.ts';
import { securityHeaders, serveStatic } from './static/serve-static.ts';
import { vmRoutes } from './vms/vm-routes.ts';

/** What the console's HTTP server is built from (no environment, no listen). */
export interface ConsoleServerDeps {
  api: PublicApi;
  /** Folder of the built front end. */
  webDir: string;
  logger: Logger;
  /** Interval of the live tables' reads (jobs, pipelines), in ms. */
  pollMs: number;
  /** Host names answered besides loopback ones (lower-case). */
  allowedHosts: Iterable<string>;
}

function sendJson(response: ServerResponse, httpStatus: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(httpStatus, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...securityHeaders });
  response.end(body);
}

/**
 * The console's HTTP server: the JSON and event-stream API under /api (each route a client of
 * the public gRPC API with the caller's bearer token) and the built front end for every other
 * GET. Errors become `{code, reason, message, field}` with the HTTP status of their gRPC code.
 */
export function createConsoleServer(deps: ConsoleServerDeps) {
  const router = createRouter([
    ...sessionRoutes(deps.api),
    ...jobActionRoutes(deps.api),
    ...jobRoutes(deps.api, deps.pollMs),
    ...logRoutes(deps.api),
    ...artifactRoutes(deps.api),
    ...downloadRoutes(deps.api, createTicketStore()),
    ...operationRoutes(deps.api),
    ...vmRoutes(deps.api),
    ...pipelineActionRoutes(deps.api),
    ...pipelineRoutes(deps.api, deps.pollMs),
  ]);
  const allowedHosts = new Set(deps.allowedHosts);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://console');
    const left = new AbortController();
    response.on('close', () => left.abort());
    try {
      checkRequestOrigin(request, allowedHosts);
      if (!url.pathname.startsWith('/api/')) {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'UNIMPLEMENTED', 'METHOD_NOT_ALLOWED', `${request.method} is not served here`);
        return await serveStatic(deps.webDir, url.pathname, response);
      }
      const found = router.match(request.method ?? 'GET', url.pathname);
      if (!found) throw new HttpError(404, 'NOT_FOUND', 'ROUTE_NOT_FOUND', `no API route ${url.pathname}`);
      if ('allowed' in found) throw new HttpError(405, 'UNIMPLEMENTED', 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${found.allowed.join(', ')}`);
      const result = await found.route.handler({ request, response, params: found.params, query: url.searchParams, call: { metadata: bearerMetadata(request), signal: left.signal } });
      if (result !== undefined && !response.headersSent) sendJson(response, 200, result);
    } catch (error) {
      const { httpStatus, body, unexpected } = toErrorBody(error);
      if (unexpected) deps.logger.error('request failed', { method: request.method, path: url.pathname, error });
      if (!response.headersSent) sendJson(response, httpStatus, body);
      else response.destroy();
    }
  }

  const server = createHttpServer((request, response) => void handle(request, response));
  return {
    server,
    /** Listens on `host:port` (port 0: a free one). @returns the bound port */
    listen(address: string): Promise<number> {
      const at = address.lastIndexOf(':');
      const host = address.slice(0, at).replace(/^\[|\]$/g, '');
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(address.slice(at + 1)), host, () => {
          server.off('error', reject);
          resolve((server.address() as { port: number }).port);
        });
      });
    },
    /** Stops taking connections; open event streams are cut after `graceMs`. */
    close(graceMs: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        server.closeIdleConnections();
        server.close(() => (clearTimeout(timer), resolve()));
      });
    },
  };
}
