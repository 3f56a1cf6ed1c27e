import { permissionDenied } from '../errors/error-factories.ts';
import type { Authorizer } from './adapt-handlers.ts';
import { meshIdentityPrefix } from './mesh-identity-of.ts';

/**
 * An authorizer that lets through only callers whose verified client certificate carries
 * one of the mesh identities in `allowed` (see meshIdentityOf), e.g. persistence:
 * `['orchestrator', 'vm-runner', 'fsops']`. For servers under mutual TLS: without it no
 * caller has an identity and every call is refused.
 * @throws PERMISSION_DENIED `CALLER_NOT_ALLOWED` with facts `caller` and `allowed`
 */
export function createCallerAuthorizer(allowed: readonly string[]): Authorizer {
  const names = new Set(allowed);
  return (context) => {
    const caller = context.caller;
    if (caller !== undefined && names.has(caller)) return;
    const who = caller === undefined ? `a certificate without a mesh identity (URI SAN ${meshIdentityPrefix}<service>)` : `${meshIdentityPrefix}${caller}`;
    throw permissionDenied('CALLER_NOT_ALLOWED', `${context.method} accepts only ${[...names].map((n) => meshIdentityPrefix + n).join(', ')}; the caller presented ${who}`, {
      facts: { caller: caller ?? '', allowed: [...names].join(',') },
    });
  };
}
