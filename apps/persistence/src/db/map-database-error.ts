import {
  aborted,
  alreadyExists,
  deadlineExceeded,
  failedPrecondition,
  invalidArgument,
  MeshError,
  unavailable,
} from '@jobmesh/grpc-kit';
import {
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  ConnectionError,
  StatementCancelledError,
  StatementTimeoutError,
} from 'slonik';

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function messageChainOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(': ');
}

/**
 * The one function that turns a Postgres or driver failure into the error
 * family: unique violation → ALREADY_EXISTS, foreign key → FAILED_PRECONDITION,
 * check / bad input → INVALID_ARGUMENT, statement timeout → DEADLINE_EXCEEDED,
 * serialization failure or deadlock → ABORTED, lost connection → UNAVAILABLE.
 * Anything else is returned unchanged (and ends INTERNAL at the boundary).
 */
export function mapDatabaseError(error: unknown): unknown {
  if (error instanceof MeshError) return error;
  const options = { cause: error };
  if (error instanceof StatementTimeoutError) return deadlineExceeded('STATEMENT_TIMEOUT', 'the database statement timed out', options);
  if (error instanceof StatementCancelledError) return aborted('STATEMENT_CANCELLED', 'the database statement was cancelled', options);
  if (error instanceof ConnectionError || error instanceof BackendTerminatedError || error instanceof BackendTerminatedUnexpectedlyError) {
    return unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable', options);
  }
  const code = sqlStateOf(error);
  if (!code) {
    // pg-pool reports these without a code.
    if (/timeout exceeded when trying to connect|Connection terminated/.test(messageChainOf(error))) {
      return unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable', options);
    }
    return error;
  }
  if (connectionCodes.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') {
    return unavailable('DATABASE_UNAVAILABLE', 'the database is unavailable', options);
  }
  if (code === '23505') return alreadyExists('UNIQUE_VIOLATION', 'a row with this key exists already', options);
  if (code === '23503') return failedPrecondition('FOREIGN_KEY_VIOLATION', 'a referenced row does not exist', options);
  if (code === '23514' || code === '23502') return invalidArgument('request', 'a value breaks a constraint of the schema', options);
  if (code === '22P02' || code === '22001' || code === '22003' || code === '22007' || code === '22008' || code === '22023' || code === '22021' || code === '22P05') {
    return invalidArgument('request', 'a value is not valid for its column', options);
  }
  if (code === '57014') return deadlineExceeded('STATEMENT_TIMEOUT', 'the database statement timed out', options);
  if (code === '40001' || code === '40P01') return aborted('SERIALIZATION_FAILURE', 'a concurrent write conflicted; retry', options);
  if (code === '53300') return unavailable('DATABASE_BUSY', 'the database has no free connection', options);
  return error;
}
