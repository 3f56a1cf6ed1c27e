import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

/** A checksum that does not match: the image is wrong, retrying cannot heal it. */
export class ImageChecksumError extends Error {}

/** Options of {@link fetchImage}. */
export interface FetchImageOptions {
  /** Called about every 5% (and at the end) with a progress line. */
  onProgress?: (line: string) => void;
}

/**
 * Brings an image (`file://`, `http://` or `https://`) into `<cacheDir>/<sha256>` once, verifying its
 * SHA-256 while it is written (under a temporary name, renamed when it verifies), so every label
 * naming the same image shares one verified copy. A cached copy is trusted: its name is its hash.
 * @returns the cached file's path
 * @throws ImageChecksumError when the bytes do not match `sha256`; Error when the source cannot be read
 */
export async function fetchImage(url: string, sha256: string, cacheDir: string, options: FetchImageOptions = {}): Promise<string> {
  const target = join(cacheDir, sha256);
  if (await stat(target).then((s) => s.isFile(), () => false)) return target;
  await mkdir(cacheDir, { recursive: true });
  const temp = `${target}.part-${process.pid}-${Date.now()}`;
  const idle = new AbortController();
  const { source, total } = await open(url, idle.signal);
  // A source that sends nothing for a minute has stalled: fail (the next Prepare tries again).
  let watchdog = setTimeout(() => idle.abort(new Error(`${url}: no data for ${idleMs / 1000} s`)), idleMs);
  const hash = createHash('sha256');
  let bytes = 0;
  let reported = -1;
  const counting = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => idle.abort(new Error(`${url}: no data for ${idleMs / 1000} s`)), idleMs);
      hash.update(chunk);
      bytes += chunk.length;
      const percent = total ? Math.floor((bytes / total) * 20) * 5 : -1;
      if (percent > reported) {
        reported = percent;
        options.onProgress?.(`fetching ${url}: ${(bytes / 1048576).toFixed(1)} MiB${total ? ` of ${(total / 1048576).toFixed(1)} MiB (${percent}%)` : ''}`);
      }
      yield chunk;
    }
  };
  try {
    await pipeline(source, counting, createWriteStream(temp, { mode: 0o644 }), { signal: idle.signal });
    // A download cut short is a transient failure, not a wrong image.
    if (total && bytes !== total) throw new Error(`${url}: got ${bytes} of ${total} bytes`);
    const got = hash.digest('hex');
    if (got !== sha256) throw new ImageChecksumError(`${url} has sha256 ${got}, not the ${sha256} the catalog requires`);
    await rename(temp, target);
    options.onProgress?.(`fetched ${url}: ${bytes} bytes, sha256 verified`);
    return target;
  } finally {
    clearTimeout(watchdog);
    await rm(temp, { force: true });
  }
}

/** Longest silence of an image source, and longest wait for an HTTP answer, in ms. */
const idleMs = 60_000;

async function open(url: string, signal: AbortSignal): Promise<{ source: Readable; total: number }> {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') {
    const path = fileURLToPath(parsed);
    return { source: createReadStream(path), total: (await stat(path)).size };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${url}: only file://, http:// and https:// images are supported`);
  // The answer must start within idleMs; the body is then watched by fetchImage's own watchdog.
  const answered = new AbortController();
  const timer = setTimeout(() => answered.abort(new Error(`${url}: no answer within ${idleMs / 1000} s`)), idleMs);
  const response = await fetch(url, { signal: AbortSignal.any([signal, answered.signal]) }).finally(() => clearTimeout(timer));
  if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
  return { source: Readable.fromWeb(response.body as never), total: Number(response.headers.get('content-length') ?? 0) };
}
