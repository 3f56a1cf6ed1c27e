import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallOptions } from '@jobmesh/grpc-kit';

/** What a route handler gets. */
export interface RouteContext {
  request: IncomingMessage;
  response: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Options for public API calls: the browser's bearer token, and a signal aborted when the browser leaves. */
  call: CallOptions;
}

/**
 * A route: the handler resolves the JSON to answer with 200, or `undefined` once it answered
 * itself (event streams, downloads).
 */
export interface Route {
  method: 'GET' | 'POST';
  /** `/api/jobs/:id/log`: `:name` matches one path segment. */
  path: string;
  handler(context: RouteContext): Promise<unknown>;
}

interface Compiled extends Route { pattern: RegExp; names: string[] }

/** Matches requests to routes by method and path. @returns the route and its decoded params, or undefined */
export function createRouter(routes: Route[]) {
  const compiled: Compiled[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path.split('/').map((part) => (part.startsWith(':') ? (names.push(part.slice(1)), '([^/]+)') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    return { ...route, pattern: new RegExp(`^${source}$`), names };
  });
  return {
    match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | undefined {
      const allowed: string[] = [];
      for (const route of compiled) {
        const found = route.pattern.exec(path);
        if (!found) continue;
        if (route.method !== method) {
          allowed.push(route.method);
          continue;
        }
        const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
        return { route, params };
      }
      return allowed.length ? { allowed } : undefined;
    },
  };
}
