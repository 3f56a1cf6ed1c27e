import { OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestSha256 } from '@jobmesh/artifacts';
import { bytes, runTransferCall, startTestFsops, transferRequest, writeTree, type TestFsops } from './support/index.ts';

const shm = '/dev/shm';
const crossDevice = existsSync(shm) && statSync(shm).dev !== statSync(tmpdir()).dev;
if (!crossDevice) console.log(`note: ${shm} is missing or on the same filesystem as ${tmpdir()}; cross-filesystem cases are skipped`);

const test = suite<{ p: TestPersistence; f: TestFsops; shmDir: string }>('transfer modes');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  // Staging on tmpfs when possible: staging → artifacts then crosses filesystems, workspace → artifacts does not.
  ctx.shmDir = crossDevice ? await mkdtemp(join(shm, 'fsops-test-')) : '';
  ctx.f = await withDeadline(startTestFsops({ persistenceAddress: ctx.p.address, roots: crossDevice ? { staging: ctx.shmDir } : {} }), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  await ctx.p?.stop();
  if (ctx.shmDir) await rm(ctx.shmDir, { recursive: true, force: true });
});

const key = (name: string) => `t/${name}/${randomUUID()}`;
const fsJob = async (p: TestPersistence, id: string, state: FsJobState) => {
  for (let i = 0; i < 100; i++) {
    const job = await p.clients.fsJobs.getFsJob({ id }).then((r) => r.fsJob, () => undefined);
    if (job?.state === state) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fs job ${id} never reached state ${state}`);
};

test('modes: every mode writes the source permission bits (small and big files); a repeat returns them too', async ({ f }) => {
  for (const mode of [TransferMode.TRANSFER_MODE_COPY, TransferMode.TRANSFER_MODE_MOVE, TransferMode.TRANSFER_MODE_HARDLINK]) {
    const dir = `modes-${mode}`;
    await writeTree(f.roots.workspace, { [`${dir}/run.sh`]: 'echo', [`${dir}/big.bin`]: bytes(2_000_000, 3), [`${dir}/ro.txt`]: 'ro' });
    await chmod(join(f.roots.workspace, dir, 'run.sh'), 0o755);
    await chmod(join(f.roots.workspace, dir, 'big.bin'), 0o700);
    await chmod(join(f.roots.workspace, dir, 'ro.txt'), 0o444);
    const request = transferRequest({ key: key(dir), source: join(f.roots.workspace, dir), destination: join(f.roots.artifacts, dir), mode });
    const { result } = await runTransferCall(f.client, request);
    assert.equal(result.files.map((x) => [x.path, x.mode]), [['big.bin', 0o700], ['ro.txt', 0o444], ['run.sh', 0o755]], `mode ${mode}`);
    for (const file of result.files) assert.is((await stat(join(f.roots.artifacts, dir, file.path))).mode & 0o7777, file.mode, `${dir}/${file.path}`);
    const again = await runTransferCall(f.client, request);
    assert.ok(again.result.repeated);
    assert.equal(again.result.files, result.files);
  }
});

test('copy: a new inode with the same bytes, source kept, result hashes and fs job row match', async ({ f, p }) => {
  const hashes = await writeTree(f.roots.workspace, { 'copy/src.bin': bytes(300_000, 1) });
  const source = join(f.roots.workspace, 'copy/src.bin');
  const destination = join(f.roots.artifacts, 'copy/out.bin');
  const id = key('copy');
  const { result } = await runTransferCall(f.client, transferRequest({ key: id, source, destination, mode: TransferMode.TRANSFER_MODE_COPY }));
  assert.is(result.modeUsed, TransferMode.TRANSFER_MODE_COPY);
  assert.equal(result.files, [{ path: 'out.bin', sizeBytes: 300_000, sha256: hashes['copy/src.bin']!, mode: 0o644 }]);
  assert.is(result.manifestSha256, manifestSha256(result.files));
  assert.is.not((await stat(destination)).ino, (await stat(source)).ino);
  assert.ok((await readFile(destination)).equals(await readFile(source)));
  const row = await withDeadline(fsJob(p, id, FsJobState.FS_JOB_STATE_COMPLETED), 10_000, 'fs job');
  assert.is(row.attempt, 1);
  assert.is(row.manifestSha256, result.manifestSha256);
  assert.equal(row.snapshot.map((s) => [s.path, s.sha256]), [['out.bin', hashes['copy/src.bin']]]);
});

test('copy of a tree: every file and empty directory, paths relative to the destination', async ({ f }) => {
  const hashes = await writeTree(join(f.roots.workspace, 'tree'), { 'a.txt': 'a', 'sub/b.txt': 'bb', 'sub/deeper/c.txt': 'ccc' });
  await import('node:fs/promises').then((fs) => fs.mkdir(join(f.roots.workspace, 'tree/empty')));
  const destination = join(f.roots.artifacts, 'tree-copy');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('tree'), source: join(f.roots.workspace, 'tree'), destination, mode: TransferMode.TRANSFER_MODE_COPY }));
  assert.equal(result.files.map((x) => [x.path, x.sha256]), Object.entries(hashes));
  assert.is(result.bytesTotal, 6);
  assert.ok((await stat(join(destination, 'empty'))).isDirectory());
  assert.is(await readFile(join(destination, 'sub/deeper/c.txt'), 'utf8'), 'ccc');
});

test('hardlink: the destination shares the inode (seen through Stat too)', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'link/src.txt': 'shared' });
  const source = join(f.roots.workspace, 'link/src.txt');
  const destination = join(f.roots.artifacts, 'link/dst.txt');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('hardlink'), source, destination, mode: TransferMode.TRANSFER_MODE_HARDLINK }));
  assert.is(result.modeUsed, TransferMode.TRANSFER_MODE_HARDLINK);
  const [a, b] = await Promise.all([f.client.stat({ path: source }), f.client.stat({ path: destination })]);
  assert.is(a.entry!.inode, b.entry!.inode);
  assert.is(b.entry!.nlink, 2);
});

test('move on one filesystem: renamed (same inode), the source is gone', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'mv/tree/x.txt': 'x', 'mv/tree/y/z.txt': 'z' });
  const source = join(f.roots.workspace, 'mv/tree');
  const inode = (await stat(join(source, 'y/z.txt'))).ino;
  const destination = join(f.roots.artifacts, 'mv/moved');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('move'), source, destination, mode: TransferMode.TRANSFER_MODE_MOVE }));
  assert.is(result.modeUsed, TransferMode.TRANSFER_MODE_MOVE);
  assert.equal(result.files.map((x) => x.path), ['x.txt', 'y/z.txt']);
  assert.not.ok(existsSync(source));
  assert.is((await stat(join(destination, 'y/z.txt'))).ino, inode);
});

test('auto on one filesystem: reflink or hardlink, never a plain copy', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'auto/src.txt': 'auto' });
  const source = join(f.roots.workspace, 'auto/src.txt');
  const destination = join(f.roots.artifacts, 'auto/dst.txt');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('auto'), source, destination, mode: TransferMode.TRANSFER_MODE_AUTO }));
  assert.ok([TransferMode.TRANSFER_MODE_REFLINK, TransferMode.TRANSFER_MODE_HARDLINK].includes(result.modeUsed as never), `mode used ${result.modeUsed}`);
  if (result.modeUsed === TransferMode.TRANSFER_MODE_HARDLINK) assert.is((await stat(destination)).ino, (await stat(source)).ino);
});

test('reflink: a clone where the filesystem can, else FAILED_PRECONDITION REFLINK_UNSUPPORTED with nothing written', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'reflink/src.txt': 'clone me' });
  const source = join(f.roots.workspace, 'reflink/src.txt');
  const destination = join(f.roots.artifacts, 'reflink/dst.txt');
  const request = transferRequest({ key: key('reflink'), source, destination, mode: TransferMode.TRANSFER_MODE_REFLINK });
  try {
    const { result } = await runTransferCall(f.client, request);
    assert.is(result.modeUsed, TransferMode.TRANSFER_MODE_REFLINK);
    assert.is.not((await stat(destination)).ino, (await stat(source)).ino);
  } catch {
    await expectStatus(runTransferCall(f.client, request), status.FAILED_PRECONDITION, { reason: 'REFLINK_UNSUPPORTED' });
    assert.not.ok(existsSync(join(f.roots.artifacts, 'reflink')) && existsSync(destination));
  }
});

test('existing destination: ALREADY_EXISTS under FAIL (untouched), replaced under REPLACE', async ({ f }) => {
  await writeTree(f.roots.workspace, { 'ow/src.txt': 'new' });
  await writeTree(f.roots.artifacts, { 'ow/dst.txt': 'old' });
  const source = join(f.roots.workspace, 'ow/src.txt');
  const destination = join(f.roots.artifacts, 'ow/dst.txt');
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('ow-fail'), source, destination, mode: TransferMode.TRANSFER_MODE_COPY })),
    status.ALREADY_EXISTS, { reason: 'DESTINATION_EXISTS' });
  assert.is(await readFile(destination, 'utf8'), 'old');
  await runTransferCall(f.client, transferRequest({ key: key('ow-replace'), source, destination, mode: TransferMode.TRANSFER_MODE_COPY, overwrite: OverwritePolicy.OVERWRITE_POLICY_REPLACE }));
  assert.is(await readFile(destination, 'utf8'), 'new');
});

test('bad fields and a missing source are refused, naming the field or reason', async ({ f }) => {
  const source = join(f.roots.workspace, 'nothing-here');
  const destination = join(f.roots.artifacts, 'nowhere');
  await expectStatus(runTransferCall(f.client, transferRequest({ key: '', source, destination, mode: TransferMode.TRANSFER_MODE_COPY })), status.INVALID_ARGUMENT, { field: 'key' });
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('m'), source, destination, mode: TransferMode.TRANSFER_MODE_UNSPECIFIED })), status.INVALID_ARGUMENT, { field: 'mode' });
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('o'), source, destination, mode: TransferMode.TRANSFER_MODE_COPY, overwrite: 7 as never })), status.INVALID_ARGUMENT, { field: 'overwrite' });
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('j'), source, destination, mode: TransferMode.TRANSFER_MODE_COPY, jobRequestId: 'nope' })), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('missing'), source, destination, mode: TransferMode.TRANSFER_MODE_COPY })), status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
  await writeTree(f.roots.workspace, { 'self/a.txt': 'a' });
  await expectStatus(runTransferCall(f.client, transferRequest({ key: key('inside'), source: join(f.roots.workspace, 'self'), destination: join(f.roots.workspace, 'self/copy'), mode: TransferMode.TRANSFER_MODE_COPY })),
    status.INVALID_ARGUMENT, { reason: 'OVERLAPPING_PATHS' });
});

test('move across filesystems: copied, verified, then the source removed', async ({ f }) => {
  if (!crossDevice) return skipTest('no second filesystem (/dev/shm missing or on the same filesystem as the temp dir)');
  const hashes = await writeTree(join(f.roots.staging, 'xmv'), { 'a.bin': bytes(200_000, 2), 'b/c.txt': 'c' });
  const source = join(f.roots.staging, 'xmv');
  const inode = (await stat(join(source, 'a.bin'))).ino;
  const destination = join(f.roots.artifacts, 'xmv');
  const { result } = await runTransferCall(f.client, transferRequest({ key: key('xmove'), source, destination, mode: TransferMode.TRANSFER_MODE_MOVE }));
  assert.equal(result.files.map((x) => [x.path, x.sha256]), Object.entries(hashes));
  assert.not.ok(existsSync(source));
  assert.is.not((await stat(join(destination, 'a.bin'))).ino, inode);
});

test('hardlink across filesystems: FAILED_PRECONDITION CROSS_DEVICE, recorded failed (attempt + 1); auto falls back to copy', async ({ f, p }) => {
  if (!crossDevice) return skipTest('no second filesystem (/dev/shm missing or on the same filesystem as the temp dir)');
  await writeTree(f.roots.staging, { 'xl/src.txt': 'far' });
  const source = join(f.roots.staging, 'xl/src.txt');
  const destination = join(f.roots.artifacts, 'xl/dst.txt');
  const id = key('xlink');
  const request = transferRequest({ key: id, source, destination, mode: TransferMode.TRANSFER_MODE_HARDLINK });
  await expectStatus(runTransferCall(f.client, request), status.FAILED_PRECONDITION, { reason: 'CROSS_DEVICE' });
  assert.not.ok(existsSync(destination));
  const failed = await withDeadline(fsJob(p, id, FsJobState.FS_JOB_STATE_FAILED), 10_000, 'failed row');
  assert.is(failed.attempt, 2);
  assert.ok(failed.lastError.includes('CROSS_DEVICE'));
  await expectStatus(runTransferCall(f.client, request), status.FAILED_PRECONDITION, { reason: 'CROSS_DEVICE' });
  for (let i = 0; i < 100 && (await p.clients.fsJobs.getFsJob({ id })).fsJob!.attempt !== 3; i++) await new Promise((r) => setTimeout(r, 50));
  assert.is((await p.clients.fsJobs.getFsJob({ id })).fsJob!.attempt, 3, 'the second failure counts once more');
  const auto = await runTransferCall(f.client, transferRequest({ key: key('xauto'), source, destination, mode: TransferMode.TRANSFER_MODE_AUTO }));
  assert.is(auto.result.modeUsed, TransferMode.TRANSFER_MODE_COPY);
  assert.is.not((await stat(destination)).ino, (await stat(source)).ino);
});

test.run();
