import { randomBytes } from 'node:crypto';
import { create, toBinary, type DescField, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { fuzzCategories, scalarValue, type FuzzCategory } from './fuzz-values.ts';

/** One generated request. */
export interface BadInput {
  category: FuzzCategory;
  bytes: Uint8Array;
  /** Call deadline in ms (1 for the deadline category). */
  deadlineMs: number;
  /** Server streams only: cancel the call this many ms after it started. */
  cancelAfterMs?: number;
}

/** Size past the 16 MiB message limit, sent once per method. */
const overLimitBytes = 17 * 1024 * 1024;

/**
 * The `i`-th bad request of a method: the categories in turn, values varied by `i`.
 * Structured ones are real messages of the method's input type with bad values (so they
 * reach the handler); `random-bytes` and `wrong-wire-types` test decoding itself.
 */
export function generateBadInput(method: DescMethod, i: number): BadInput {
  const category = fuzzCategories[i % fuzzCategories.length]!;
  const streaming = method.methodKind === 'server_streaming';
  const base = { category, deadlineMs: 3000 };
  switch (category) {
    case 'random-bytes':
      return { ...base, bytes: randomBytes(1 + (i % 64)) };
    case 'wrong-wire-types':
      return { ...base, bytes: wrongWireTypes(method.input, i) };
    case 'deadline-1ms':
      return { ...base, deadlineMs: 1, bytes: encode(method.input, 'invalid-uuids', i) };
    case 'cancel-mid-stream':
      return streaming ? { ...base, cancelAfterMs: 1 + (i % 40), bytes: encode(method.input, 'invalid-uuids', i) } : { ...base, bytes: encode(method.input, 'unknown-enums', i) };
    case 'huge-strings':
      // The first one of each method goes past the message limit: RESOURCE_EXHAUSTED, never a crash.
      return { ...base, deadlineMs: 10_000, bytes: i < fuzzCategories.length ? overLimit(method.input) : encode(method.input, category, i) };
    default:
      return { ...base, bytes: encode(method.input, category, i) };
  }
}

function encode(desc: DescMessage, category: FuzzCategory, i: number): Uint8Array {
  return toBinary(desc, fill(desc, category, i, 0));
}

function overLimit(desc: DescMessage): Uint8Array {
  // A length-delimited unknown field is enough: the limit is checked before decoding.
  return new BinaryWriter().tag(1999, WireType.LengthDelimited).bytes(new Uint8Array(overLimitBytes)).finish();
}

function fill(desc: DescMessage, category: FuzzCategory, i: number, depth: number) {
  const message = create(desc) as Record<string, unknown>;
  for (const field of desc.fields) {
    const value = fieldValue(field, category, i + field.number, depth);
    if (value === undefined) continue;
    if (field.oneof) message[field.oneof.localName] = { case: field.localName, value };
    else message[field.localName] = value;
  }
  return message as never;
}

function fieldValue(field: DescField, category: FuzzCategory, i: number, depth: number): unknown {
  const count = category === 'huge-repeated' ? 5000 + (i % 5) * 1000 : 1 + (i % 3);
  const enumValue = (values: readonly { number: number }[]) => (category === 'unknown-enums' ? 999 + i : values[i % values.length]?.number ?? 0);
  switch (field.fieldKind) {
    case 'scalar':
      return scalarValue(field.scalar, category, i);
    case 'enum':
      return enumValue(field.enum.values);
    case 'message':
      return depth < 2 ? fill(field.message, category, i, depth + 1) : undefined;
    case 'list': {
      const one = (k: number) =>
        field.listKind === 'scalar' ? scalarValue(field.scalar, category === 'huge-repeated' ? 'invalid-uuids' : category, i + k)
          : field.listKind === 'enum' ? enumValue(field.enum.values)
            : depth < 2 ? fill(field.message, category === 'huge-repeated' ? 'invalid-uuids' : category, i + k, depth + 1) : undefined;
      const items = Array.from({ length: field.listKind === 'message' ? Math.min(count, 1000) : count }, (_, k) => one(k));
      return items.every((v) => v !== undefined) ? items : undefined;
    }
    case 'map': {
      const entries: Record<string, unknown> = {};
      const size = Math.min(count, 2000);
      for (let k = 0; k < size; k++) {
        const key = String(scalarValue(field.mapKey, 'path-escapes', i + k)) + (category === 'huge-repeated' ? k : '');
        const value = field.mapKind === 'scalar' ? scalarValue(field.scalar, category === 'huge-repeated' ? 'invalid-uuids' : category, i + k)
          : field.mapKind === 'enum' ? enumValue(field.enum.values) : depth < 2 ? fill(field.message, category, i + k, depth + 1) : undefined;
        if (value !== undefined) entries[key] = value;
      }
      return entries;
    }
  }
}

/** Every field with a wire type its type does not have (varint where bytes belong, and back). */
function wrongWireTypes(desc: DescMessage, i: number): Uint8Array {
  const writer = new BinaryWriter();
  for (const field of desc.fields) {
    const lengthDelimited = field.fieldKind === 'message' || field.fieldKind === 'map' || (field.fieldKind === 'scalar' && (field.scalar === 9 || field.scalar === 12)) || (field.fieldKind === 'list' && field.listKind !== 'scalar' && field.listKind !== 'enum');
    if (lengthDelimited && i % 2) writer.tag(field.number, WireType.Varint).uint32(i * 31);
    else if (lengthDelimited) writer.tag(field.number, WireType.Bit32).fixed32(i * 31);
    else writer.tag(field.number, WireType.LengthDelimited).bytes(randomBytes(1 + (i % 9)));
  }
  return writer.finish();
}
