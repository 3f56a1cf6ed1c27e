import { FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { randomUUID } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes, runTransferCall, startTestFsops, transferRequest, writeTree, type TestFsops } from './support/index.ts';

const test = suite<{ p: TestPersistence; f: TestFsops }>('transfer progress stream and idempotent repeats');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  // Small chunks so a 2 MB tree reports progress many times.
  ctx.f = await withDeadline(startTestFsops({ persistenceAddress: ctx.p.address, env: { JOBMESH_FSOPS_COPY_CHUNK_BYTES: '65536' } }), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  await ctx.p?.stop();
});

test('progress: bytes and files done grow to the totals, then exactly one result comes last', async ({ f }) => {
  const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.bin`, bytes(256 * 1024, i + 10)]));
  await writeTree(join(f.roots.workspace, 'progress'), files);
  const { progress, result } = await runTransferCall(f.client, transferRequest({
    key: `p/${randomUUID()}`, source: join(f.roots.workspace, 'progress'), destination: join(f.roots.artifacts, 'progress'), mode: TransferMode.TRANSFER_MODE_COPY,
  }));
  assert.ok(progress.length >= 2, `got ${progress.length} progress messages`);
  const total = 8 * 256 * 1024;
  for (const p of progress) {
    assert.is(p.bytesTotal, total);
    assert.is(p.filesTotal, 8);
    assert.ok(p.bytesDone <= total && p.filesDone <= 8);
  }
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i]!.bytesDone >= progress[i - 1]!.bytesDone, 'bytes done never go back');
    assert.ok(progress[i]!.filesDone >= progress[i - 1]!.filesDone, 'files done never go back');
  }
  assert.is(progress[0]!.bytesDone, 0);
  assert.equal(progress.at(-1), { bytesDone: total, bytesTotal: total, filesDone: 8, filesTotal: 8 });
  assert.is(result.files.length, 8);
  assert.is(result.bytesTotal, total);
});

test('a repeated key does nothing and returns the same result; another request on it is ALREADY_EXISTS', async ({ f, p }) => {
  await writeTree(f.roots.workspace, { 'rep/a.txt': 'first' });
  const source = join(f.roots.workspace, 'rep/a.txt');
  const destination = join(f.roots.artifacts, 'rep/a.txt');
  const request = transferRequest({ key: `rep/${randomUUID()}`, source, destination, mode: TransferMode.TRANSFER_MODE_MOVE });
  const first = await runTransferCall(f.client, request);
  assert.is(first.result.repeated, false);
  const inode = (await stat(destination)).ino;
  // The source is gone (moved) and the destination exists: a fresh transfer would fail both ways; a repeat must not care.
  const again = await runTransferCall(f.client, request);
  assert.is(again.result.repeated, true);
  assert.equal({ ...again.result, repeated: false }, first.result);
  assert.is((await stat(destination)).ino, inode, 'the destination was not touched');
  await expectStatus(runTransferCall(f.client, { ...request, mode: TransferMode.TRANSFER_MODE_COPY }), status.ALREADY_EXISTS, { reason: 'TRANSFER_KEY_CONFLICT' });
  // Records reach persistence asynchronously (through the record buffer): wait for the row.
  const row = await withDeadline(waitForState(p, request.key, FsJobState.FS_JOB_STATE_COMPLETED), 10_000, 'completed row');
  assert.is(row.attempt, 1);
});

test('concurrent calls with one key run it once; both see the same result', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'conc/a.bin': bytes(500_000, 3) });
  const request = transferRequest({ key: `c/${randomUUID()}`, source: join(f.roots.workspace, 'conc/a.bin'), destination: join(f.roots.artifacts, 'conc/a.bin'), mode: TransferMode.TRANSFER_MODE_COPY });
  const [a, b] = await Promise.all([runTransferCall(f.client, request), runTransferCall(f.client, request)]);
  assert.is([a.result.repeated, b.result.repeated].filter(Boolean).length, 1);
  assert.is(a.result.manifestSha256, b.result.manifestSha256);
});

test('a transfer that fails mid-way is recorded failed; retried under its key it completes, last_error cleared', async ({ p }) => {
  // A throttled second instance, so the test can pull the destination directory away while a file is being copied.
  const slow = await withDeadline(startTestFsops({ persistenceAddress: p.address, env: { JOBMESH_FSOPS_COPY_CHUNK_BYTES: '65536', JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS: '20' } }), 30_000, 'start slow fsops');
  try {
    await writeTree(slow.roots.workspace, { 'retry/a.bin': bytes(1024 * 1024, 5) });
    const destination = join(slow.roots.artifacts, 'retry-dst');
    const request = transferRequest({ key: `r/${randomUUID()}`, source: join(slow.roots.workspace, 'retry'), destination, mode: TransferMode.TRANSFER_MODE_COPY });
    const failing = withDeadline((async () => {
      for await (const message of slow.client.transfer(request)) {
        if (message.progress && message.progress.bytesDone > 0) await rm(destination, { recursive: true, force: true });
      }
    })(), 30_000, 'failing transfer');
    await expectStatus(failing, status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
    const failed = await withDeadline(waitForState(p, request.key, FsJobState.FS_JOB_STATE_FAILED), 10_000, 'failed row');
    assert.is(failed.attempt, 2);
    assert.ok(failed.lastError.length > 0);
    const { result } = await runTransferCall(slow.client, request);
    assert.ok((await readFile(join(destination, 'a.bin'))).equals(bytes(1024 * 1024, 5)));
    assert.is(result.files.length, 1);
    const row = await withDeadline(waitForState(p, request.key, FsJobState.FS_JOB_STATE_COMPLETED), 10_000, 'completed row');
    assert.is(row.attempt, 2);
    assert.is(row.lastError, '');
  } finally {
    await slow.stop();
  }
});

async function waitForState(p: TestPersistence, id: string, state: FsJobState) {
  for (;;) {
    const job = await p.clients.fsJobs.getFsJob({ id }).then((r) => r.fsJob, () => undefined);
    if (job?.state === state) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test.run();
