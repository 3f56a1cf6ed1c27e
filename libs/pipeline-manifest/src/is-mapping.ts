/** True for what YAML reads as a mapping (a plain object, not a list or null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
