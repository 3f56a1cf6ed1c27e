import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestSha256 } from '@jobmesh/artifacts';
import { bytes, runTransferCall, startTestFsops, transferRequest, writeTree, type TestFsops } from './support/index.ts';

// skip_checksums lets hardlink and same-filesystem move skip reading the file, so they cost the same at any size.
const test = suite<{ f: TestFsops }>('transfer skip_checksums');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
});

const key = (name: string) => `t/${name}/${randomUUID()}`;

test('hardlink without checksums: same inode, empty sha256, manifest over empty digests', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'link/src.bin': bytes(200_000, 3) });
  const source = join(f.roots.workspace, 'link/src.bin');
  const destination = join(f.roots.artifacts, 'link/out.bin');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('link'), source, destination, mode: TransferMode.TRANSFER_MODE_HARDLINK, skipChecksums: true }));
  assert.equal(result.files, [{ path: 'out.bin', sizeBytes: 200_000, sha256: '', mode: 0o644 }]);
  assert.is(result.manifestSha256, manifestSha256(result.files));
  assert.is((await stat(destination)).ino, (await stat(source)).ino);
});

test('move of a tree without checksums: renamed, source gone, every sha256 empty', async ({ f }) => {
  const content = bytes(50_000, 4);
  await writeTree(f.roots.workspace, { 'mv/tree/a.bin': content, 'mv/tree/d/b.txt': 'b' });
  const source = join(f.roots.workspace, 'mv/tree');
  const destination = join(f.roots.artifacts, 'mv/tree');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('move'), source, destination, mode: TransferMode.TRANSFER_MODE_MOVE, skipChecksums: true }));
  assert.equal(result.files.map((file) => [file.path, file.sha256]).sort(), [['a.bin', ''], ['d/b.txt', '']]);
  assert.not.ok(existsSync(source));
  assert.ok((await readFile(join(destination, 'a.bin'))).equals(content));
});

test('copy without checksums still returns the hash it computed on the way', async ({ f }) => {
  const hashes = await writeTree(f.roots.workspace, { 'cp/src.bin': bytes(10_000, 5) });
  const { result } = await runTransferCall(f.client, transferRequest({
    key: key('copy'), source: join(f.roots.workspace, 'cp/src.bin'), destination: join(f.roots.artifacts, 'cp/out.bin'),
    mode: TransferMode.TRANSFER_MODE_COPY, skipChecksums: true,
  }));
  assert.is(result.files[0]?.sha256, hashes['cp/src.bin']);
});

test('a key repeated with another skip_checksums is ALREADY_EXISTS; the same request repeats', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'rep/src.bin': 'x' });
  const request = transferRequest({
    key: key('repeat'), source: join(f.roots.workspace, 'rep/src.bin'), destination: join(f.roots.artifacts, 'rep/out.bin'),
    mode: TransferMode.TRANSFER_MODE_HARDLINK, skipChecksums: true,
  });
  await runTransferCall(f.client, request);
  const again = await runTransferCall(f.client, request);
  assert.ok(again.result.repeated);
  await expectStatus(runTransferCall(f.client, { ...request, skipChecksums: false }), status.ALREADY_EXISTS);
});

test.run();
