import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes files (path relative to `root` → content) and returns their SHA-256 by path. */
export async function writeTree(root: string, files: Record<string, string | Buffer>): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
    hashes[path] = createHash('sha256').update(content).digest('hex');
  }
  return hashes;
}

/** Deterministic pseudo-random bytes (so content differs per file and is not compressible to nothing). */
export function bytes(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let x = seed * 2654435761 % 4294967296 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    buffer[i] = x & 0xff;
  }
  return buffer;
}
