import { invalidArgument } from '@jobmesh/grpc-kit';

/** Position after the last row of a page, newest-first order: (created_at, id). */
export interface PageCursor {
  /** created_at as Postgres text, exact to the microsecond. */
  at: string;
  id: string;
}

/** Encodes a cursor as an opaque URL-safe token. */
export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

/** Decodes a token from encodePageToken; empty gives null. @throws INVALID_ARGUMENT naming the field */
export function decodePageToken(field: string, token: string): PageCursor | null {
  if (!token) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && at.length < 64 && id.length <= 200 && !Number.isNaN(Date.parse(at))) {
      return { at, id };
    }
  } catch {
    // falls through to the error below
  }
  throw invalidArgument(field, 'is not a token returned by this API');
}

/**
 * Cuts a page from rows fetched with limit + 1 and makes the token of the next
 * page when the extra row shows there is one.
 */
export function pageOf<R>(rows: readonly R[], limit: number, cursorOf: (row: R) => PageCursor): { items: R[]; nextPageToken: string } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextPageToken: rows.length > limit && last ? encodePageToken(cursorOf(last)) : '' };
}
