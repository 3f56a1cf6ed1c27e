import { invalidArgument } from '@jobmesh/grpc-kit';

/** Most patterns a job may declare. */
export const maxArtifactPatterns = 100;

/**
 * Checks artifact patterns as text: 1 to 100 of them, each 1 to 1024 characters, relative,
 * without NUL and without a `..` component.
 * @param field - name of the repeated field, e.g. `artifact_patterns`
 * @throws MeshError INVALID_ARGUMENT naming `<field>[i]`
 */
export function requirePatterns(field: string, patterns: readonly string[], options: { allowEmpty?: boolean } = {}): string[] {
  if (patterns.length === 0 && options.allowEmpty) return [];
  if (patterns.length === 0 || patterns.length > maxArtifactPatterns) throw invalidArgument(field, `must hold 1 to ${maxArtifactPatterns} patterns`);
  patterns.forEach((pattern, i) => {
    const at = `${field}[${i}]`;
    if (pattern === '' || pattern.length > 1024 || pattern.includes('\0')) throw invalidArgument(at, 'must be 1 to 1024 characters without NUL');
    if (pattern.startsWith('/')) throw invalidArgument(at, 'must be relative to the workspace');
    if (pattern.split('/').includes('..')) throw invalidArgument(at, 'must not contain a .. component');
  });
  return [...patterns];
}
