import { invalidArgument } from '@jobmesh/grpc-kit';

/**
 * Page tokens of lists ordered by one unique text key (e.g. artifact files by path):
 * the key of the last row of a page, as an opaque URL-safe token. The tokens of
 * page-token.ts (created_at, id) are not accepted here, nor these there.
 */
const tag = 'k';

/** Encodes the key of a page's last row. */
export function encodeKeyPageToken(key: string): string {
  return Buffer.from(JSON.stringify([tag, key])).toString('base64url');
}

/**
 * Decodes a token from encodeKeyPageToken; empty gives null.
 * @param maxBytes - longest key accepted, in UTF-8 bytes
 * @throws INVALID_ARGUMENT naming the field
 */
export function decodeKeyPageToken(field: string, token: string, maxBytes: number): string | null {
  if (!token) return null;
  try {
    const [kind, key] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (kind === tag && typeof key === 'string' && key !== '' && !key.includes('\0') && Buffer.byteLength(key) <= maxBytes) return key;
  } catch {
    // falls through to the error below
  }
  throw invalidArgument(field, 'is not a token returned by this API');
}

/** Cuts a page from rows fetched with limit + 1 and makes the next page's token when the extra row shows there is one. */
export function keyPageOf<R>(rows: readonly R[], limit: number, keyOf: (row: R) => string): { items: R[]; nextPageToken: string } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextPageToken: rows.length > limit && last ? encodeKeyPageToken(keyOf(last)) : '' };
}
