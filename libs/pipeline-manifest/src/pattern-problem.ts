import { isMeshError } from '@jobmesh/grpc-kit';
import { requirePatterns } from '@jobmesh/artifacts';

/**
 * What `@jobmesh/artifacts` finds wrong with one artifact pattern, so that the manifest and the
 * services that collect artifacts apply the same rules.
 * @returns the problem without its field name, or null for a good pattern
 */
export function patternProblem(pattern: string): string | null {
  const field = 'pattern';
  try {
    requirePatterns(field, [pattern]);
    return null;
  } catch (error) {
    if (!isMeshError(error) || error.field === undefined) throw error;
    return error.message.slice(error.field.length + 2);
  }
}
