/**
 * The console's name of a generated enum value: `JOB_STATE_TIMED_OUT` with prefix `JOB_STATE_`
 * is `timed_out`; an unknown number is `unspecified`.
 */
export function enumName(values: Record<string, number>, prefix: string, value: number): string {
  for (const [key, number] of Object.entries(values)) if (number === value) return key.slice(prefix.length).toLowerCase();
  return 'unspecified';
}

/** The enum value of a console name (`queued` → JOB_STATE_QUEUED's number); undefined when unknown. */
export function enumValue(values: Record<string, number>, prefix: string, name: string): number | undefined {
  return values[prefix + name.toUpperCase()];
}
