import { timingSafeEqual } from 'node:crypto';
import { permissionDenied, unauthenticated, type Authorizer } from '@jobmesh/grpc-kit';
import { digestToken, type TokenEntry } from './load-token-file.ts';
import { requiredRole, roleAllows, type TokenRole } from './token-roles.ts';

const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Finds the entry of `token`, comparing its digest with every entry in
 * constant time and without stopping at a match, so timing tells nothing
 * about which or how much of a token was right.
 */
function findRole(entries: TokenEntry[], token: string): TokenRole | undefined {
  const digest = digestToken(token);
  let found: TokenRole | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.role;
  }
  return found;
}

/**
 * The public API's authorizer: each call must carry `authorization: Bearer
 * <token>` of a token in `entries` whose role allows the method.
 * @throws UNAUTHENTICATED `TOKEN_MISSING` (no or malformed header) or `TOKEN_UNKNOWN`;
 *   PERMISSION_DENIED `ROLE_INSUFFICIENT` with facts `required` and `role`
 */
export function createTokenAuthorizer(entries: TokenEntry[]): Authorizer {
  return (context) => {
    const header = context.metadata.get('authorization');
    const match = header.length === 1 && typeof header[0] === 'string' ? bearer.exec(header[0]) : null;
    if (!match) throw unauthenticated('TOKEN_MISSING', 'this API needs the header "authorization: Bearer <token>" (the CLI sends $JOBMESH_TOKEN)');
    const role = findRole(entries, match[1]!);
    if (!role) throw unauthenticated('TOKEN_UNKNOWN', 'the bearer token is not known to this orchestrator');
    const required = requiredRole(context.method);
    if (!roleAllows(role, required)) {
      throw permissionDenied('ROLE_INSUFFICIENT', `${context.method} needs a token with role ${required}; this one has ${role}`, { facts: { required, role } });
    }
  };
}
