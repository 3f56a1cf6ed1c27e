import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes, startTestFsops, writeTree, type TestFsops } from './support/index.ts';

const test = suite<{ f: TestFsops }>('ReadFile');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
});

/** Reads the whole stream: exactly one info first, then data. */
const read = (f: TestFsops, path: string, offset = 0) => withDeadline((async () => {
  let info: { sizeBytes: number; mode: number } | undefined;
  const chunks: Buffer[] = [];
  for await (const message of f.client.readFile({ path, offset })) {
    if (message.info) {
      if (info || chunks.length > 0) throw new Error('info came twice or after data');
      info = message.info;
    } else if (message.data) {
      if (!info) throw new Error('data before info');
      if (message.data.length > 1024 * 1024) throw new Error('a chunk above 1 MiB');
      chunks.push(Buffer.from(message.data));
    }
  }
  if (!info) throw new Error('no info');
  return { info, data: Buffer.concat(chunks), chunks: chunks.length };
})(), 30_000, `read ${path}`);

const content = bytes(2.5 * 1024 * 1024, 7);

test('reads a whole file in chunks of at most 1 MiB, with its size and mode', async ({ f }) => {
  const dir = join(f.roots.artifacts, 'job-r');
  await writeTree(dir, { 'big.bin': content, 'empty.txt': '' });
  await chmod(join(dir, 'big.bin'), 0o750);
  const whole = await read(f, join(dir, 'big.bin'));
  assert.equal(whole.info, { sizeBytes: content.length, mode: 0o750 });
  assert.ok(whole.data.equals(content));
  assert.is(whole.chunks, 3);
  const empty = await read(f, join(dir, 'empty.txt'));
  assert.is(empty.info.sizeBytes, 0);
  assert.is(empty.data.length, 0);
});

test('reads from an offset, up to the end; the size is an empty read, past it OUT_OF_RANGE', async ({ f }) => {
  const dir = join(f.roots.staging, 'r2');
  await writeTree(dir, { 'f.bin': content });
  const offset = 1024 * 1024 + 17;
  const tail = await read(f, join(dir, 'f.bin'), offset);
  assert.is(tail.info.sizeBytes, content.length);
  assert.ok(tail.data.equals(content.subarray(offset)));
  assert.is((await read(f, join(dir, 'f.bin'), content.length)).data.length, 0);
  await expectStatus(read(f, join(dir, 'f.bin'), content.length + 1), status.OUT_OF_RANGE, { field: 'offset' });
  await expectStatus(read(f, join(dir, 'f.bin'), -1), status.INVALID_ARGUMENT, { field: 'offset' });
});

test('refusals: a directory, a missing file, a path outside the roots', async ({ f }) => {
  const dir = join(f.roots.workspace, 'r3');
  await mkdir(dir, { recursive: true });
  await expectStatus(read(f, dir), status.FAILED_PRECONDITION, { reason: 'NOT_A_FILE' });
  await expectStatus(read(f, join(dir, 'missing')), status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
  await expectStatus(read(f, '/etc/passwd'), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(read(f, `${f.roots.staging}/../escape.txt`), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT', field: 'path' });
});

test.run();
