import { createPool, type DatabasePool, type Interceptor } from 'slonik';

/**
 * Validates each row against the zod schema of its `sql.type(...)` query.
 * slonik leaves rows unchecked unless an interceptor does this (STACK.md trap 5).
 */
const resultParser: Interceptor = {
  name: 'jobmesh.result-parser',
  transformRow: (context, query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser['~standard'].validate(row);
    if (result instanceof Promise) throw new Error('asynchronous row schemas are not supported');
    if (result.issues) {
      const problems = result.issues.map((i) => `${i.path?.map(String).join('.') ?? ''}: ${i.message}`).join('; ');
      throw new Error(`row does not match its schema: ${problems} (query: ${query.sql.slice(0, 120)})`);
    }
    return result.value as typeof row;
  },
};

/** Options of createDatabasePool, with defaults. */
export interface DatabasePoolOptions {
  /** Connections at most. @default 10 */
  maximumPoolSize?: number;
  /** Longest statement, in ms; longer ones end DEADLINE_EXCEEDED. @default 30000 */
  statementTimeoutMs?: number;
  /** Longest wait for a connection, in ms; then UNAVAILABLE. @default 5000 */
  connectionTimeoutMs?: number;
}

/**
 * The slonik pool of persistence: rows validated by their zod schema, `int8`
 * as number (sequences stay far below 2^53), `timestamptz` as Date.
 *
 * No reset on release: slonik's default sends `DISCARD ALL` after every query
 * or transaction (one more round trip and a wake-up of the backend per call,
 * and it drops prepared statements). Persistence never changes session state
 * on pooled connections (no SET, no session advisory locks, no LISTEN, no
 * temporary tables: migrations and notifications use their own clients), and
 * slonik rolls back a failed transaction before releasing its connection.
 */
export async function createDatabasePool(url: string, options: DatabasePoolOptions = {}): Promise<DatabasePool> {
  return createPool(url, {
    interceptors: [resultParser],
    maximumPoolSize: options.maximumPoolSize ?? 10,
    statementTimeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    idleTimeout: 10_000,
    queryRetryLimit: 0,
    resetConnection: async () => {},
    transactionRetryLimit: 3,
    typeParsers: [
      { name: 'int8', parse: (value) => Number(value) },
      { name: 'timestamptz', parse: (value) => new Date(value) },
    ],
  });
}
