import { invalidArgument } from '@jobmesh/grpc-kit';

/** Converts between a proto enum (numbers) and its Postgres enum (lower-case labels). */
export interface EnumCodec<P extends number> {
  /** Proto value to Postgres label. @throws INVALID_ARGUMENT naming the field for UNSPECIFIED or unknown values */
  toDb(field: string, value: P): string;
  /** Like toDb, but UNSPECIFIED gives null. */
  toDbOptional(field: string, value: P): string | null;
  /** Postgres label to proto value. */
  fromDb(label: string | null): P;
  /** Every Postgres label. */
  labels: string[];
}

/**
 * Builds the codec from a ts-proto enum object such as `JobState`, where
 * `JOB_STATE_QUEUED: 1` pairs with the Postgres label `queued`.
 */
export function createEnumCodec<P extends number>(protoEnum: Record<string, P>, prefix: string): EnumCodec<P> {
  const toLabel = new Map<number, string>();
  const toValue = new Map<string, P>();
  for (const [name, value] of Object.entries(protoEnum)) {
    if (value === 0 || value === -1 || !name.startsWith(prefix)) continue;
    const label = name.slice(prefix.length).toLowerCase();
    toLabel.set(value, label);
    toValue.set(label, value);
  }
  const names = Object.keys(protoEnum).filter((n) => n.startsWith(prefix) && protoEnum[n] !== 0);
  const toDb = (field: string, value: P) => {
    const label = toLabel.get(value);
    if (label === undefined) {
      throw invalidArgument(field, value === 0 ? `is required (one of ${names.join(', ')})` : `unknown value ${value} (one of ${names.join(', ')})`);
    }
    return label;
  };
  return {
    toDb,
    toDbOptional: (field, value) => (value === 0 ? null : toDb(field, value)),
    fromDb: (label) => (label === null ? (0 as P) : (toValue.get(label) ?? (0 as P))),
    labels: [...toValue.keys()],
  };
}
