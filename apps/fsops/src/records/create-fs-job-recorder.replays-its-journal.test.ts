import { unavailable } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFsJobRecorder, type FsJobRecord, type FsJobRecorderOptions } from './create-fs-job-recorder.ts';

/** A stand-in FsJobStore client: `down` refuses every call; else each record lands in `got`. */
function fakeClient(got: FsJobRecord[], down: boolean) {
  const take = (type: FsJobRecord['type']) => async (request: unknown) => {
    if (down) throw unavailable('DOWN', 'persistence away');
    got.push({ type, request } as FsJobRecord);
    return {};
  };
  return { recordFsJobStarted: take('started'), recordFsJobProgress: take('progress'), recordFsJobCompleted: take('completed'), recordFsJobFailed: take('failed') } as unknown as FsJobRecorderOptions['client'];
}

test('records of every type left unsent by one fsops are sent by the next from its journal, equal and in order', async () => {
  const journalDir = join(mkdtempSync(join(tmpdir(), 'fs-recorder-')), 'records');
  const logger = createLogger('test', { sink: () => undefined });
  const records: FsJobRecord[] = [
    { type: 'started', request: { id: 'k1', kind: 1, source: '/a', destination: '/b', transferMode: 1, bytesTotal: 10, filesTotal: 1, jobRequestId: '' } },
    { type: 'progress', request: { id: 'k1', bytesDone: 5, filesDone: 0 } },
    { type: 'failed', request: { id: 'k1', error: 'NO_SPACE: full', attempt: 1 } },
    { type: 'completed', request: { id: 'k1', bytesDone: 10, filesDone: 1, snapshot: [{ path: 'f', sizeBytes: 10, sha256: 'ab'.repeat(32), mode: 0o644 }], manifestSha256: 'cd'.repeat(32) } },
  ];
  const first = createFsJobRecorder({ client: fakeClient([], true), logger, journalDir });
  for (const record of records) first.record(record);
  await first.close(50);
  const got: FsJobRecord[] = [];
  const second = createFsJobRecorder({ client: fakeClient(got, false), logger, journalDir });
  assert.ok(await withDeadline(second.flush(2000), 3000, 'flush'));
  assert.equal(got, records);
  assert.is(second.stats().dropped, 0);
  await second.close();
  rmSync(journalDir, { recursive: true, force: true });
});

test.run();
