const units = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A timeout as written in a manifest: `90s`, `30m`, `2h`, or a whole number of seconds.
 * @returns milliseconds, or null when the text is not one of those forms
 */
export function parseDurationMs(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value * 1000 : null;
  const match = /^(\d{1,9})([smh])$/.exec(value);
  if (!match) return null;
  return Number(match[1]) * units[match[2] as keyof typeof units];
}
