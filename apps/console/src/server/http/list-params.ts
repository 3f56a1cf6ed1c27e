import { enumValue } from '../views/enum-name.ts';
import { HttpError } from './to-error-body.ts';

/**
 * The `state` parameter of a table's query string (names, comma-separated or repeated) as enum
 * values of `values` (`JOB_STATE_` + name). @throws HttpError 400 (field `state`) naming an unknown state
 */
export function statesParam(query: URLSearchParams, values: Record<string, number>, prefix: string, noun: string): number[] {
  return query.getAll('state').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean).map((name) => {
    const value = enumValue(values, prefix, name);
    if (!value) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', `state: unknown ${noun} state ${JSON.stringify(name)}`, 'state');
    return value;
  });
}

/** The `limit` parameter: a page size from 1 to 500. @default 50 @throws HttpError 400 (field `limit`) */
export function limitParam(query: URLSearchParams): number {
  const limit = Number(query.get('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'limit: must be 1 to 500', 'limit');
  return limit;
}
