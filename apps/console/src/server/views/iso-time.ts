/** A Timestamp (as ts-proto gives it: a Date) as an ISO string; null when unset. */
export function isoTime(value: Date | undefined): string | null {
  return value ? value.toISOString() : null;
}
