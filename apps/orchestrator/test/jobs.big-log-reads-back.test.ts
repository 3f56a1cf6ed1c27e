import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { jobSpec } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogStoreClient } from '../src/clients/create-log-store-client.ts';
import { startTestMesh, type TestMesh } from './support/index.ts';

// The issue: a job printed 80 MB, then `jobmesh logs ID` failed with "RESOURCE_EXHAUSTED: Sent
// message larger than max (80419877 vs. 16777216)". The same log, stored through persistence's
// append RPC, reads back byte-identical through the public API (paged and followed) and the CLI.
const KiB = 1024;
const MiB = 1024 * KiB;
const stdoutBytes = 80_419_877;
const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

interface Expected { stdout: { sha256: string; bytes: number }; stderr: { sha256: string; bytes: number }; chunks: number }
const test = suite<{ mesh: TestMesh; requestId: string; expected: Expected }>('an 80 MB job log reads back whole');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 1 }), 180_000, 'mesh up');
  const spec = jobSpec();
  await ctx.mesh.store.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  ctx.requestId = spec.requestId;
  // Chunks of mixed sizes up to the 1 MiB cap, stdout with a few bytes of stderr between.
  const sizes = [MiB, 256 * KiB, 1, 700 * KiB, 64 * KiB, MiB - 1, 3 * KiB];
  const chunks: LogChunk[] = [];
  const hashes = { stdout: createHash('sha256'), stderr: createHash('sha256') };
  const totals = { stdout: 0, stderr: 0 };
  for (let seq = 0; totals.stdout < stdoutBytes; seq++) {
    const stream = seq % 10 === 9 ? 'stderr' : 'stdout';
    const size = stream === 'stderr' ? 17 : Math.min(sizes[seq % sizes.length]!, stdoutBytes - totals.stdout);
    const data = randomBytes(size);
    hashes[stream].update(data);
    totals[stream] += size;
    chunks.push({ requestId: spec.requestId, seq, stream: stream === 'stderr' ? LogStream.LOG_STREAM_STDERR : LogStream.LOG_STREAM_STDOUT, data, createdAt: undefined });
  }
  // One call with all 80 MB: the orchestrator's log client splits it within persistence's caps.
  const logs = createLogStoreClient(ctx.mesh.address.persistence, { deadlineMs: 120_000 });
  try {
    const stored = await withDeadline(logs.appendLogChunks({ chunks }), 180_000, 'append 80 MB');
    assert.equal(stored, { appended: chunks.length, duplicates: 0 });
  } finally {
    logs.close();
  }
  await ctx.mesh.store.jobs.transitionJob({ requestId: spec.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_SUCCEEDED, message: '', error: '' });
  ctx.expected = {
    stdout: { sha256: hashes.stdout.digest('hex'), bytes: totals.stdout },
    stderr: { sha256: hashes.stderr.digest('hex'), bytes: totals.stderr },
    chunks: chunks.length,
  };
});
test.after(async (ctx) => ctx.mesh?.stop());

/** Reads StreamJobLogs whole, hashing each stream and checking every message's size. */
async function readThroughApi(mesh: TestMesh, requestId: string, follow: boolean) {
  const hashes = { [LogStream.LOG_STREAM_STDOUT]: createHash('sha256'), [LogStream.LOG_STREAM_STDERR]: createHash('sha256') };
  const bytes = { [LogStream.LOG_STREAM_STDOUT]: 0, [LogStream.LOG_STREAM_STDERR]: 0 };
  let messages = 0;
  let largest = 0;
  let next = 0;
  for await (const message of mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow })) {
    assert.is(message.offset, next++, 'chunks in order, none missing');
    const stream = message.stream as LogStream.LOG_STREAM_STDOUT | LogStream.LOG_STREAM_STDERR;
    hashes[stream].update(message.data);
    bytes[stream] += message.data.length;
    largest = Math.max(largest, message.data.length);
    messages++;
  }
  return {
    stdout: { sha256: hashes[LogStream.LOG_STREAM_STDOUT].digest('hex'), bytes: bytes[LogStream.LOG_STREAM_STDOUT] },
    stderr: { sha256: hashes[LogStream.LOG_STREAM_STDERR].digest('hex'), bytes: bytes[LogStream.LOG_STREAM_STDERR] },
    messages,
    largest,
  };
}

test('StreamJobLogs returns the 80 MB log byte-identical, in messages of at most 1 MiB, paged and followed', async ({ mesh, requestId, expected }) => {
  for (const follow of [false, true]) {
    const read = await withDeadline(readThroughApi(mesh, requestId, follow), 180_000, `StreamJobLogs follow=${follow}`);
    assert.equal(read.stdout, expected.stdout, `stdout, follow=${follow}`);
    assert.equal(read.stderr, expected.stderr, `stderr, follow=${follow}`);
    assert.is(read.messages, expected.chunks);
    assert.ok(read.largest <= MiB, `largest message ${read.largest} bytes`);
  }
});

test('`jobmesh logs ID` prints the 80 MB log byte-identical (stdout and stderr apart) and exits 0', async ({ mesh, requestId, expected }) => {
  const child = spawn(process.execPath, [cli, 'logs', requestId], { env: { ...process.env, JOBMESH_ADDR: mesh.address.orchestrator }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { hash: createHash('sha256'), bytes: 0 };
  const err: Buffer[] = [];
  child.stdout.on('data', (data: Buffer) => (out.hash.update(data), (out.bytes += data.length)));
  child.stderr.on('data', (data: Buffer) => err.push(data));
  const code = await withDeadline(new Promise<number | null>((resolve) => child.on('close', resolve)), 180_000, 'jobmesh logs').catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  const stderr = Buffer.concat(err);
  assert.is(code, 0, stderr.toString().slice(-2000));
  assert.equal({ sha256: out.hash.digest('hex'), bytes: out.bytes }, expected.stdout);
  assert.equal({ sha256: createHash('sha256').update(stderr).digest('hex'), bytes: stderr.length }, expected.stderr);
});

test.run();
