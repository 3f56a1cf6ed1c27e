import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchImage, ImageChecksumError } from './fetch-image.ts';

const body = Buffer.alloc(3 * 1024 * 1024, 7);
const sha = createHash('sha256').update(body).digest('hex');
const test = suite<{ server: Server; base: string; dir: string }>('fetchImage over HTTP');
test.before(async (ctx) => {
  ctx.server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    if (req.url === '/cut') return void (res.write(body.subarray(0, 1000)), res.destroy());
    res.end(body);
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.base = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}`;
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-fetch-'));
});
test.after(async (ctx) => {
  ctx.server?.close();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('a whole download is verified and cached under its hash', async ({ base, dir }) => {
  assert.is(await fetchImage(`${base}/img`, sha, dir), join(dir, sha));
});

test('a download cut short is a transient error (retried later), not a checksum verdict; nothing is left', async ({ base, dir }) => {
  const cache = join(dir, 'cut');
  const error = await fetchImage(`${base}/cut`, sha, cache).catch((e: unknown) => e);
  assert.ok(error instanceof Error && !(error instanceof ImageChecksumError), String(error));
  assert.not.ok(existsSync(join(cache, sha)));
  assert.equal(await readdir(cache), [], 'no partial file');
});

test('whole bytes that do not match: ImageChecksumError naming both hashes', async ({ base, dir }) => {
  const error = await fetchImage(`${base}/img`, '0'.repeat(64), join(dir, 'bad')).catch((e: unknown) => e);
  assert.ok(error instanceof ImageChecksumError && error.message.includes(sha));
});

test.run();
