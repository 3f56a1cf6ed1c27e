import { FsJobKind, FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { randomUUID } from 'node:crypto';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence fs jobs');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const start = (p: TestPersistence, id: string) => p.clients.fsJobs.recordFsJobStarted({
  id, kind: FsJobKind.FS_JOB_KIND_TRANSFER, source: '/staging/a', destination: '/artifacts/a',
  transferMode: TransferMode.TRANSFER_MODE_COPY, bytesTotal: 100, filesTotal: 2, jobRequestId: '',
});
const sha = (c: string) => c.repeat(64);

test('an fs job goes started → progress → failed (attempt + 1) → started → completed (error cleared)', async ({ p }) => {
  const id = `transfer/${randomUUID()}`;
  const started = (await start(p, id)).fsJob!;
  assert.is(started.state, FsJobState.FS_JOB_STATE_RUNNING);
  assert.is(started.attempt, 1);
  const progress = (await p.clients.fsJobs.recordFsJobProgress({ id, bytesDone: 40, filesDone: 1 })).fsJob!;
  assert.is(progress.bytesDone, 40);
  const failed = (await p.clients.fsJobs.recordFsJobFailed({ id, error: 'disk full', attempt: 1 })).fsJob!;
  assert.is(failed.state, FsJobState.FS_JOB_STATE_FAILED);
  assert.is(failed.attempt, 2);
  assert.is(failed.lastError, 'disk full');
  const repeatedFailure = (await p.clients.fsJobs.recordFsJobFailed({ id, error: 'disk full', attempt: 1 })).fsJob!;
  assert.is(repeatedFailure.attempt, 2, 'a repeated report of the same failure counts once');
  const restarted = (await start(p, id)).fsJob!;
  assert.is(restarted.state, FsJobState.FS_JOB_STATE_RUNNING);
  assert.is(restarted.attempt, 2);
  assert.is(restarted.bytesDone, 0);
  const snapshot = [{ path: 'a.txt', sizeBytes: 60, sha256: sha('a'), mode: 0o644 }, { path: 'b/c.bin', sizeBytes: 40, sha256: sha('b'), mode: 0o755 }];
  const completed = (await p.clients.fsJobs.recordFsJobCompleted({ id, bytesDone: 100, filesDone: 2, snapshot, manifestSha256: sha('c') })).fsJob!;
  assert.is(completed.state, FsJobState.FS_JOB_STATE_COMPLETED);
  assert.is(completed.lastError, '');
  assert.equal(completed.snapshot, snapshot);
  assert.ok(completed.completedAt);
  const got = (await p.clients.fsJobs.getFsJob({ id })).fsJob!;
  assert.equal(got.snapshot, snapshot);
  assert.is(got.manifestSha256, sha('c'));
});

test('a repeated started, a late progress or failure on a completed fs job changes nothing', async ({ p }) => {
  const id = `transfer/${randomUUID()}`;
  await start(p, id);
  const done = (await p.clients.fsJobs.recordFsJobCompleted({ id, bytesDone: 100, filesDone: 2, snapshot: [], manifestSha256: sha('d') })).fsJob!;
  const again = (await start(p, id)).fsJob!;
  assert.is(again.state, FsJobState.FS_JOB_STATE_COMPLETED);
  assert.is(again.attempt, done.attempt);
  assert.is((await p.clients.fsJobs.recordFsJobProgress({ id, bytesDone: 1, filesDone: 0 })).fsJob!.bytesDone, 100);
  const failed = (await p.clients.fsJobs.recordFsJobFailed({ id, error: 'late', attempt: 0 })).fsJob!;
  assert.is(failed.state, FsJobState.FS_JOB_STATE_COMPLETED);
  assert.is(failed.lastError, '');
  const running = `transfer/${randomUUID()}`;
  await start(p, running);
  assert.is((await start(p, running)).fsJob!.attempt, 1, 'a repeated started on a running job is a no-op');
});

test('ListFsJobs filters by state and kind; bad input names the field; unknown ids are NOT_FOUND', async ({ p }) => {
  const job = randomUUID();
  for (let i = 0; i < 3; i++) {
    await p.clients.fsJobs.recordFsJobStarted({ id: `checkout-${randomUUID()}`, kind: FsJobKind.FS_JOB_KIND_CHECKOUT, source: 'file:///r.git', destination: '/ws', transferMode: 0, bytesTotal: 0, filesTotal: 0, jobRequestId: job });
  }
  const list = await p.clients.fsJobs.listFsJobs({ states: [FsJobState.FS_JOB_STATE_RUNNING], kind: FsJobKind.FS_JOB_KIND_CHECKOUT, jobRequestId: job, pageSize: 2, pageToken: '' });
  assert.is(list.fsJobs.length, 2);
  assert.ok(list.nextPageToken);
  const rest = await p.clients.fsJobs.listFsJobs({ states: [], kind: 0, jobRequestId: job, pageSize: 2, pageToken: list.nextPageToken });
  assert.is(rest.fsJobs.length, 1);
  await expectStatus(p.clients.fsJobs.getFsJob({ id: 'missing-one' }), status.NOT_FOUND, { reason: 'FS_JOB_NOT_FOUND' });
  await expectStatus(p.clients.fsJobs.recordFsJobProgress({ id: 'missing-one', bytesDone: 1, filesDone: 1 }), status.NOT_FOUND);
  await expectStatus(p.clients.fsJobs.recordFsJobFailed({ id: 'missing-one', error: 'x', attempt: 0 }), status.NOT_FOUND);
  await expectStatus(p.clients.fsJobs.recordFsJobStarted({ id: '', kind: FsJobKind.FS_JOB_KIND_CHECKOUT, source: '', destination: '', transferMode: 0, bytesTotal: 0, filesTotal: 0, jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'id' });
  await expectStatus(p.clients.fsJobs.recordFsJobStarted({ id: 'ok-id', kind: 0, source: '', destination: '', transferMode: 0, bytesTotal: 0, filesTotal: 0, jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'kind' });
  await expectStatus(p.clients.fsJobs.recordFsJobStarted({ id: 'ok-id', kind: 1, source: '', destination: '', transferMode: 12 as never, bytesTotal: 0, filesTotal: 0, jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'transfer_mode' });
  await expectStatus(p.clients.fsJobs.recordFsJobStarted({ id: 'ok-id', kind: 1, source: '', destination: '', transferMode: 0, bytesTotal: -5, filesTotal: 0, jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'bytes_total' });
  await expectStatus(p.clients.fsJobs.recordFsJobStarted({ id: '../../etc', kind: 1, source: '', destination: '', transferMode: 0, bytesTotal: 0, filesTotal: 0, jobRequestId: '' }), status.INVALID_ARGUMENT, { field: 'id' });
  const id = `transfer/${randomUUID()}`;
  await start(p, id);
  await expectStatus(p.clients.fsJobs.recordFsJobCompleted({ id, bytesDone: 0, filesDone: 0, snapshot: [{ path: 'a', sizeBytes: 1, sha256: 'nothex', mode: 0 }], manifestSha256: '' }), status.INVALID_ARGUMENT, { field: 'snapshot[0].sha256' });
  assert.is((await p.clients.fsJobs.getFsJob({ id })).fsJob!.state, FsJobState.FS_JOB_STATE_RUNNING);
  await expectStatus(p.clients.fsJobs.getFsJob({ id: 'ok-id' }), status.NOT_FOUND);
});

test.run();
