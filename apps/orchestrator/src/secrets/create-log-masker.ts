/** Replaces secret values in a job's output, chunk by chunk, per output stream. */
export interface LogMasker<S = number> {
  /**
   * Masks one chunk of `stream`. The tail that could be the start of a secret
   * is held back and put in front of the stream's next chunk, so a secret split
   * across chunks is still masked; the result may therefore be shorter, or empty.
   */
  mask(stream: S, data: Uint8Array): Buffer;
  /** What each stream still holds back (at the end of the output), then forgets it. */
  drain(): Array<{ stream: S; data: Buffer }>;
}

/** What a secret value is replaced with. */
export const maskText = '***';

/** The byte patterns of a secret: the value, and its base64 forms when the value is long enough for them to be recognisable. */
function patternsOf(value: string): Buffer[] {
  const raw = Buffer.from(value, 'utf8');
  const patterns = [raw];
  if (raw.length >= 4) patterns.push(Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('base64url')));
  return patterns;
}

function replaceAll(data: Buffer, pattern: Buffer, replacement: Buffer): Buffer {
  // Buffer.concat below always returns a fresh, ArrayBuffer-backed copy.
  let index = data.indexOf(pattern);
  if (index < 0) return data;
  const parts: Buffer[] = [];
  let from = 0;
  while (index >= 0) {
    parts.push(data.subarray(from, index), replacement);
    from = index + pattern.length;
    index = data.indexOf(pattern, from);
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

/** Length of the longest suffix of `data` that is a proper prefix of some pattern. */
function heldBackLength(data: Buffer, patterns: Buffer[]): number {
  let longest = 0;
  for (const pattern of patterns) {
    for (let n = Math.min(pattern.length - 1, data.length); n > longest; n--) {
      if (data.subarray(data.length - n).equals(pattern.subarray(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

/**
 * A masker for `secrets` (empty values ignored). Longer patterns are replaced
 * first, so a secret containing another is masked whole. Deterministic: the
 * same chunks give the same output, so a replayed exec step re-appends
 * identical chunks.
 */
export function createLogMasker<S = number>(secrets: string[]): LogMasker<S> {
  const patterns = [...new Map(secrets.filter(Boolean).flatMap(patternsOf).map((p) => [p.toString('hex'), p])).values()]
    .sort((a, b) => b.length - a.length);
  const replacement = Buffer.from(maskText);
  const carry = new Map<S, Buffer>();
  return {
    mask(stream, data) {
      if (patterns.length === 0) return Buffer.from(data);
      let text: Buffer = Buffer.concat([carry.get(stream) ?? Buffer.alloc(0), data]);
      for (const pattern of patterns) text = replaceAll(text, pattern, replacement);
      const held = heldBackLength(text, patterns);
      carry.set(stream, Buffer.from(text.subarray(text.length - held)));
      return Buffer.from(text.subarray(0, text.length - held));
    },
    drain() {
      // A held-back tail is only the start of a secret, never all of it.
      const rest = [...carry].filter(([, data]) => data.length > 0).map(([stream, data]) => ({ stream, data }));
      carry.clear();
      return rest;
    },
  };
}
