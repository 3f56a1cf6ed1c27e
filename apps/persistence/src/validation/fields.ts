import { invalidArgument } from '@jobmesh/grpc-kit';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A required UUID, lower-cased. @throws INVALID_ARGUMENT naming the field */
export function requireUuid(field: string, value: string): string {
  if (!value) throw invalidArgument(field, 'is required');
  if (!uuidPattern.test(value)) throw invalidArgument(field, `must be a UUID, got ${JSON.stringify(value.slice(0, 64))}`);
  return value.toLowerCase();
}

/** An optional UUID: empty gives null. @throws INVALID_ARGUMENT naming the field */
export function optionalUuid(field: string, value: string): string | null {
  return value ? requireUuid(field, value) : null;
}

/** Rules of a text field. */
export interface TextRules {
  /** Fewest characters. @default 1 (required) */
  min?: number;
  /** Most characters. */
  max: number;
  /** A pattern the whole value must match, with a description for the message. */
  pattern?: { regex: RegExp; description: string };
}

/** A text field within bounds, without NUL bytes. @throws INVALID_ARGUMENT naming the field */
export function requireText(field: string, value: string, rules: TextRules): string {
  const min = rules.min ?? 1;
  if (value.length < min) throw invalidArgument(field, min === 1 ? 'is required' : `must have at least ${min} characters`);
  if (value.length > rules.max) throw invalidArgument(field, `must have at most ${rules.max} characters, got ${value.length}`);
  if (value.includes('\0')) throw invalidArgument(field, 'must not contain NUL bytes');
  if (rules.pattern && value.length > 0 && !rules.pattern.regex.test(value)) throw invalidArgument(field, `must be ${rules.pattern.description}`);
  return value;
}

/** An integer within bounds. @throws INVALID_ARGUMENT naming the field */
export function requireInteger(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A page size: 0 gives the default. @throws INVALID_ARGUMENT naming the field */
export function pageSize(field: string, value: number, defaultSize: number, max: number): number {
  return value === 0 ? defaultSize : requireInteger(field, value, 1, max);
}

/** A JSON document in a string field, at most `maxBytes`; empty gives `null`. @throws INVALID_ARGUMENT naming the field */
export function requireJson(field: string, value: string, maxBytes = 4 * 1024 * 1024): string {
  if (value === '') return 'null';
  if (Buffer.byteLength(value) > maxBytes) throw invalidArgument(field, `must be at most ${maxBytes} bytes`);
  try {
    JSON.parse(value);
  } catch {
    throw invalidArgument(field, 'must be valid JSON');
  }
  if (value.includes('\\u0000')) throw invalidArgument(field, 'must not contain NUL characters');
  return value;
}

/** A map of strings with bounded keys and values. @throws INVALID_ARGUMENT naming the field */
export function requireStringMap(field: string, value: Record<string, string>, maxEntries: number, maxValueLength: number): Record<string, string> {
  const entries = Object.entries(value);
  if (entries.length > maxEntries) throw invalidArgument(field, `must have at most ${maxEntries} entries`);
  for (const [key, entry] of entries) {
    requireText(`${field}.key`, key, { max: 256 });
    requireText(`${field}[${key.slice(0, 64)}]`, entry, { min: 0, max: maxValueLength });
  }
  return value;
}

/** A required timestamp that is a real date. @throws INVALID_ARGUMENT naming the field */
export function optionalDate(field: string, value: Date | undefined): Date | null {
  if (value === undefined) return null;
  if (Number.isNaN(value.getTime())) throw invalidArgument(field, 'must be a valid timestamp');
  return value;
}
