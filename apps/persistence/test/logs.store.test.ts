import { randomUUID } from 'node:crypto';
import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence job logs');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const newJob = async (p: TestPersistence) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  return spec.requestId;
};
const chunk = (requestId: string, seq: number, text: string, stream: LogStream = LogStream.LOG_STREAM_STDOUT) =>
  ({ requestId, seq, stream, data: Buffer.from(text), createdAt: undefined });
const finish = (p: TestPersistence, requestId: string) =>
  p.clients.jobs.transitionJob({ requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_SUCCEEDED, message: '', error: '' });

test('AppendLogChunks stores a batch across jobs and skips chunks already stored', async ({ p }) => {
  const a = await newJob(p);
  const b = await newJob(p);
  const first = await p.clients.logs.appendLogChunks({ chunks: [chunk(a, 0, 'a0'), chunk(a, 1, 'a1'), chunk(b, 0, 'b0', LogStream.LOG_STREAM_STDERR)] });
  assert.equal(first, { appended: 3, duplicates: 0 });
  const again = await p.clients.logs.appendLogChunks({ chunks: [chunk(a, 1, 'a1'), chunk(a, 2, 'a2')] });
  assert.equal(again, { appended: 1, duplicates: 1 });
  const read = await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: 0 });
  assert.equal(read.chunks.map((c) => Buffer.from(c.data).toString()), ['a0', 'a1', 'a2']);
  assert.is(read.nextSeq, 3);
  assert.is(read.complete, false);
  const fromOffset = await p.clients.logs.readLog({ requestId: a, fromSeq: 2, maxChunks: 0, maxBytes: 0 });
  assert.equal(fromOffset.chunks.map((c) => c.seq), [2]);
  const paged = await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 2, maxBytes: 0 });
  assert.is(paged.chunks.length, 2);
  assert.is(paged.nextSeq, 2);
  const bRead = await p.clients.logs.readLog({ requestId: b, fromSeq: 0, maxChunks: 0, maxBytes: 0 });
  assert.is(bRead.chunks[0]!.stream, LogStream.LOG_STREAM_STDERR);
  await finish(p, a);
  assert.is((await p.clients.logs.readLog({ requestId: a, fromSeq: 3, maxChunks: 0, maxBytes: 0 })).complete, true);
});

test('AppendLogChunks refuses bad batches whole, naming the field, and writes nothing', async ({ p }) => {
  const a = await newJob(p);
  const append = (chunks: ReturnType<typeof chunk>[]) => p.clients.logs.appendLogChunks({ chunks });
  await expectStatus(append([]), status.INVALID_ARGUMENT, { field: 'chunks' });
  await expectStatus(append([chunk(a, 0, 'x'), chunk('nope', 1, 'y')]), status.INVALID_ARGUMENT, { field: 'chunks[1].request_id' });
  await expectStatus(append([chunk(a, -1, 'x')]), status.INVALID_ARGUMENT, { field: 'chunks[0].seq' });
  await expectStatus(append([chunk(a, 0, 'x', 0 as LogStream)]), status.INVALID_ARGUMENT, { field: 'chunks[0].stream' });
  await expectStatus(append([chunk(a, 0, 'x'), chunk(a, 0, 'y')]), status.INVALID_ARGUMENT, { field: 'chunks[1].seq' });
  await expectStatus(append([{ ...chunk(a, 0, ''), data: Buffer.alloc(1024 * 1024 + 1) }]), status.INVALID_ARGUMENT, { field: 'chunks[0].data' });
  await expectStatus(append(Array.from({ length: 1001 }, (_, i) => chunk(a, i, 'x'))), status.INVALID_ARGUMENT, { field: 'chunks' });
  await expectStatus(append([chunk(a, 0, 'x'), chunk(randomUUID(), 0, 'y')]), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  assert.is((await p.clients.logs.readLog({ requestId: a, fromSeq: 0, maxChunks: 0, maxBytes: 0 })).chunks.length, 0);
  await expectStatus(p.clients.logs.readLog({ requestId: randomUUID(), fromSeq: 0, maxChunks: 0, maxBytes: 0 }), status.NOT_FOUND);
  await expectStatus(p.clients.logs.readLog({ requestId: a, fromSeq: -5, maxChunks: 0, maxBytes: 0 }), status.INVALID_ARGUMENT, { field: 'from_seq' });
});

test('FollowLog sends stored chunks, then each new chunk as it is appended, and ends with the job', async ({ p }) => {
  const a = await newJob(p);
  await p.clients.logs.appendLogChunks({ chunks: [chunk(a, 0, 'early')] });
  const received: { seq: number; at: number }[] = [];
  const followed = (async () => {
    for await (const message of p.clients.logs.followLog({ requestId: a, fromSeq: 0 })) {
      for (const c of message.chunks) received.push({ seq: c.seq, at: Date.now() });
    }
  })();
  const waitFor = async (n: number) => {
    while (received.length < n) await new Promise((r) => setTimeout(r, 5));
  };
  await withDeadline(waitFor(1), 5000, 'stored chunk');
  const latencies: number[] = [];
  for (let seq = 1; seq <= 5; seq++) {
    const sentAt = Date.now();
    await p.clients.logs.appendLogChunks({ chunks: [chunk(a, seq, `line ${seq}`)] });
    await withDeadline(waitFor(seq + 1), 5000, `chunk ${seq}`);
    latencies.push(received[seq]!.at - sentAt);
  }
  await finish(p, a);
  await withDeadline(followed, 5000, 'stream ends after the job');
  assert.equal(received.map((r) => r.seq), [0, 1, 2, 3, 4, 5]);
  // Delivery is pushed by LISTEN/NOTIFY: far below the 1 s safety poll. The
  // 100 ms target is measured in tools/bench; this bound only proves the push path.
  const worst = Math.max(...latencies);
  assert.ok(worst < 600, `chunks arrived by notification, worst latency ${worst} ms`);
});

test('FollowLog from an offset of a finished job sends the rest and ends; unknown job is NOT_FOUND', async ({ p }) => {
  const a = await newJob(p);
  await p.clients.logs.appendLogChunks({ chunks: [0, 1, 2, 3].map((i) => chunk(a, i, `l${i}`)) });
  await finish(p, a);
  const seqs: number[] = [];
  for await (const m of p.clients.logs.followLog({ requestId: a, fromSeq: 2 })) seqs.push(...m.chunks.map((c) => c.seq));
  assert.equal(seqs, [2, 3]);
  const stream = p.clients.logs.followLog({ requestId: randomUUID(), fromSeq: 0 });
  await expectStatus((async () => { for await (const _ of stream) { /* nothing arrives */ } })(), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
});

test.run();
