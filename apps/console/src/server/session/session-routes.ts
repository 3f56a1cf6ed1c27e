import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { probeSession } from './probe-session.ts';

/** GET /api/session: whether the API is open and the role the caller's token has. */
export function sessionRoutes(api: PublicApi): Route[] {
  return [{ method: 'GET', path: '/api/session', handler: ({ call }) => probeSession(api, call.metadata) }];
}
