import { randomBytes } from 'node:crypto';
import { ScalarType } from '@bufbuild/protobuf';

/** The kinds of bad input, one per generated request, in turn. */
export const fuzzCategories = [
  'random-bytes', 'wrong-wire-types', 'huge-strings', 'huge-repeated', 'negative-numbers',
  'overflowing-numbers', 'unknown-enums', 'invalid-uuids', 'path-escapes', 'deadline-1ms', 'cancel-mid-stream',
] as const;
/** One kind of bad input. */
export type FuzzCategory = (typeof fuzzCategories)[number];

const badUuids = ['not-a-uuid', '00000000-0000-0000-0000-00000000000g', ' ', '6f1c2b1e4a8e4b4f9a550d4f3c1e2a10', '{6f1c2b1e-4a8e-4b4f-9a55-0d4f3c1e2a10}', 'ö'.repeat(36), "'; drop table jobs; --", '\u0000'];
const pathEscapes = ['../../../../etc/passwd', '/etc/passwd', 'a/../../../x', '..', '/', './../..', 'workspaces/../../..', '%2e%2e/%2e%2e/etc', 'a\u0000b', '~root/.ssh', 'file:///etc/passwd', '//etc'];
const pick = <T>(values: readonly T[], i: number) => values[i % values.length]!;

/** A value of a scalar type that is wrong for `category` (the field's own type, so it encodes). */
export function scalarValue(type: ScalarType, category: FuzzCategory, i: number): unknown {
  switch (type) {
    case ScalarType.STRING:
      if (category === 'huge-strings') return 'x'.repeat(64 * 1024 + (i % 7) * 10_000);
      if (category === 'invalid-uuids') return pick(badUuids, i);
      if (category === 'path-escapes') return pick(pathEscapes, i);
      return randomBytes(1 + (i % 24)).toString('latin1');
    case ScalarType.BYTES:
      return category === 'huge-strings' ? randomBytes(256 * 1024) : randomBytes(i % 32);
    case ScalarType.BOOL:
      return i % 2 === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return pick([Number.NaN, Number.POSITIVE_INFINITY, -1e308, -0.5], i);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      if (category === 'negative-numbers') return pick([-1n, -(2n ** 63n), -1000n], i);
      if (category === 'overflowing-numbers') return 2n ** 63n - 1n;
      return BigInt(i * 7919);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return category === 'overflowing-numbers' || category === 'negative-numbers' ? 2n ** 64n - 1n : BigInt(i);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return category === 'overflowing-numbers' || category === 'negative-numbers' ? 4294967295 : i;
    default: // INT32, SINT32, SFIXED32
      if (category === 'negative-numbers') return pick([-1, -2147483648, -100], i);
      if (category === 'overflowing-numbers') return 2147483647;
      return i;
  }
}
