import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tokenRoles, type TokenRole } from './token-roles.ts';

/** One accepted token, kept only as its SHA-256 so a heap dump does not hold it. */
export interface TokenEntry {
  digest: Buffer;
  role: TokenRole;
  /** Line of the file, for logs ("token of line 3"), never the token itself. */
  line: number;
}

/** Shortest token accepted: guessing one must stay out of reach. */
export const minTokenLength = 16;

/** SHA-256 of a token: a fixed-length value to compare in constant time. */
export const digestToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Parses a token file: one `<role> <token>` per line (role `read`, `submit`
 * or `admin`; the token at least 16 printable characters without spaces);
 * blank lines and lines starting with `#` are skipped.
 * @throws Error naming every bad line (by number, never echoing a token), a repeated token, or an empty file
 */
export function parseTokenFile(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [role, token, ...rest] = line.split(/\s+/);
    const number = index + 1;
    if (!tokenRoles.includes(role as TokenRole)) return void problems.push(`line ${number}: role must be one of ${tokenRoles.join(', ')}`);
    if (!token || rest.length > 0) return void problems.push(`line ${number}: expected "<role> <token>"`);
    if (token.length < minTokenLength || !/^[\x21-\x7e]+$/.test(token)) return void problems.push(`line ${number}: token must be at least ${minTokenLength} printable ASCII characters`);
    const digest = digestToken(token);
    if (seen.has(digest.toString('hex'))) return void problems.push(`line ${number}: token repeated from an earlier line`);
    seen.add(digest.toString('hex'));
    entries.push({ digest, role: role as TokenRole, line: number });
  });
  if (problems.length) throw new Error(`invalid token file:\n  ${problems.join('\n  ')}`);
  if (entries.length === 0) throw new Error('the token file holds no token; unset JOBMESH_TOKENS_FILE to run without authentication');
  return entries;
}

/**
 * Reads and parses the token file at `path`.
 * @throws Error when it cannot be read or is invalid (see parseTokenFile)
 */
export async function loadTokenFile(path: string): Promise<TokenEntry[]> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read the token file ${path}: ${error.message}`, { cause: error });
  });
  try {
    return parseTokenFile(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}
