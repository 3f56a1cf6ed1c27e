import { createHash } from 'node:crypto';

/** A file of a manifest: path relative to the artifact folder, size and content hash. */
export interface FileDigest {
  path: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * The manifest hash of a set of files: SHA-256 over one line
 * `<sha256> <size> <path>\n` per file, sorted by path (code unit order), so
 * the same tree always gives the same hash whatever order it was walked in.
 * No files: the SHA-256 of the empty string.
 */
export function manifestSha256(files: readonly FileDigest[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.sha256} ${file.sizeBytes} ${file.path}\n`);
  }
  return hash.digest('hex');
}
