import { mapDatabaseError } from './map-database-error.ts';

/**
 * Wraps every handler of a service implementation so database failures reach
 * the gRPC boundary already mapped by mapDatabaseError. Works for unary
 * handlers (promises) and server-streaming ones (async iterables).
 */
export function withDatabaseErrors<T extends Record<string, Function>>(implementation: T): T {
  const wrapped: Record<string, Function> = {};
  for (const [name, handler] of Object.entries(implementation)) {
    wrapped[name] = (request: unknown, context: unknown) => {
      const result = handler.call(implementation, request, context);
      if (result && typeof result[Symbol.asyncIterator] === 'function') {
        return (async function* () {
          try {
            yield* result;
          } catch (error) {
            throw mapDatabaseError(error);
          }
        })();
      }
      return Promise.resolve(result).catch((error: unknown) => {
        throw mapDatabaseError(error);
      });
    };
  }
  return wrapped as T;
}
