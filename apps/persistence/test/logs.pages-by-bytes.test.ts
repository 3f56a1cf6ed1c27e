import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// Every read is bounded by bytes whatever the log's size, and an append by bytes as well as count.
const test = suite<{ p: TestPersistence }>('persistence job logs page by bytes');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const KiB = 1024;
const MiB = 1024 * KiB;
const newJob = async (p: TestPersistence) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  return spec.requestId;
};
const chunk = (requestId: string, seq: number, bytes: number) =>
  ({ requestId, seq, stream: LogStream.LOG_STREAM_STDOUT, data: Buffer.alloc(bytes, seq % 251), createdAt: undefined });
const finish = (p: TestPersistence, requestId: string) =>
  p.clients.jobs.transitionJob({ requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_SUCCEEDED, message: '', error: '' });
const dataBytes = (chunks: { data: Uint8Array }[]) => chunks.reduce((n, c) => n + c.data.length, 0);

test('AppendLogChunks takes 8 MiB of data in one call and refuses one byte more, naming chunks, writing nothing', async ({ p }) => {
  const a = await newJob(p);
  const eight = Array.from({ length: 8 }, (_, i) => chunk(a, i, MiB));
  assert.equal(await p.clients.logs.appendLogChunks({ chunks: eight }), { appended: 8, duplicates: 0 });
  const over = [...Array.from({ length: 8 }, (_, i) => chunk(a, 100 + i, MiB)), chunk(a, 108, 1)];
  await expectStatus(p.clients.logs.appendLogChunks({ chunks: over }), status.INVALID_ARGUMENT, { field: 'chunks' });
  const stored = await p.clients.logs.readLog({ requestId: a, fromSeq: 100, maxChunks: 0, maxBytes: 0 });
  assert.is(stored.chunks.length, 0, 'the refused batch wrote nothing');
});

test('ReadLog pages by bytes (1 MiB by default, max_bytes up to 4 MiB), first chunk always whole, has_more until the end', async ({ p }) => {
  const a = await newJob(p);
  // 20 chunks of 300 KiB: 6000 KiB in all.
  await p.clients.logs.appendLogChunks({ chunks: Array.from({ length: 20 }, (_, i) => chunk(a, i, 300 * KiB)) });
  const first = await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: 0 });
  assert.equal(first.chunks.map((c) => c.seq), [0, 1, 2], '3 × 300 KiB fit in 1 MiB, a 4th would not');
  assert.is(first.nextSeq, 3);
  assert.is(first.hasMore, true);
  assert.is(first.complete, false);
  const big = await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: 4 * MiB });
  assert.is(big.chunks.length, 13, '13 × 300 KiB fit in 4 MiB');
  const tiny = await p.clients.logs.readLog({ requestId: a, fromSeq: 5, maxChunks: 0, maxBytes: 1 });
  assert.equal(tiny.chunks.map((c) => c.seq), [5], 'a page smaller than a chunk still holds that chunk');
  const counted = await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 2, maxBytes: 4 * MiB });
  assert.equal(counted.chunks.map((c) => c.seq), [0, 1], 'the count bound still applies');
  await expectStatus(p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: 4 * MiB + 1 }), status.INVALID_ARGUMENT, { field: 'max_bytes' });
  await expectStatus(p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: -1 }), status.INVALID_ARGUMENT, { field: 'max_bytes' });

  const seqs: number[] = [];
  let page = first;
  for (let from = 0; ; from = page.nextSeq) {
    page = await p.clients.logs.readLog({ requestId: a, fromSeq: from, maxChunks: 0, maxBytes: 0 });
    assert.ok(dataBytes(page.chunks) <= MiB, `page from ${from} holds ${dataBytes(page.chunks)} bytes`);
    seqs.push(...page.chunks.map((c) => c.seq));
    if (!page.hasMore) break;
  }
  assert.equal(seqs, Array.from({ length: 20 }, (_, i) => i));
  assert.is(page.complete, false, 'the job still runs');
  await finish(p, a);
  const last = await p.clients.logs.readLog({ requestId: a, fromSeq: 18, maxChunks: 0, maxBytes: 0 });
  assert.equal([last.hasMore, last.complete], [false, true]);
  assert.equal((await p.clients.logs.readLog({ requestId: a, fromSeq: 15, maxChunks: 0, maxBytes: 0 })).complete, false, 'pages remain');
});

test('FollowLog sends at most 1 MiB of data per message, every chunk once, in order', async ({ p }) => {
  const a = await newJob(p);
  const sizes = [MiB, 1, 700 * KiB, 400 * KiB, MiB, 10, 300 * KiB, 300 * KiB, 300 * KiB, 300 * KiB];
  await p.clients.logs.appendLogChunks({ chunks: sizes.map((size, i) => chunk(a, i, size)) });
  await finish(p, a);
  const messages: number[][] = [];
  await withDeadline((async () => {
    for await (const m of p.clients.logs.followLog({ requestId: a, fromSeq: 0 })) {
      assert.ok(m.chunks.length === 1 || dataBytes(m.chunks) <= MiB, `a message of ${dataBytes(m.chunks)} bytes`);
      messages.push(m.chunks.map((c) => c.seq));
    }
  })(), 30_000, 'follow a finished log');
  assert.equal(messages.flat(), sizes.map((_, i) => i));
  assert.ok(messages.length >= 5, `${messages.length} messages`);
});

test.run();
