import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobLogStoreServiceService, type LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, createGrpcServer, defineService, invalidArgument, isMeshError, MeshError, status, type GrpcServer } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogStoreClient } from '../src/clients/create-log-store-client.ts';
import { streamExecToLog } from '../src/run-job/stream-exec-to-log.ts';

// The exec step appends a job's output to its log as it comes. A failed append used to be
// swallowed, and every later append of the run then skipped (the promise chain stayed rejected):
// followers saw a silent gap until the job ended. Now an append is retried in order, and a log
// that cannot be written fails the step at once with LOG_WRITE_FAILED.
// A real vm-runner (process backend, its own process) and a stand-in log store through real gRPC.

interface Store { chunks: Map<number, LogChunk>; calls: number; fail: (call: number) => MeshError | undefined }
interface Ctx { dir: string; runner: ServiceProcess; runnerAddress: string; server: GrpcServer; storeAddress: string; store: Store }
const test = suite<Ctx>('exec output appended to the job log: failures retried in order, or reported');
const vmRunnerMain = fileURLToPath(new URL('../../vm-runner/src/main.ts', import.meta.url));

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-log-append-'));
  const catalog = join(ctx.dir, 'catalog.json');
  await writeFile(catalog, JSON.stringify({ labels: [{ name: 'local', aliases: [], backend: 'process', slots: 4 }] }));
  ctx.runner = spawnService('vm-runner', vmRunnerMain, {
    JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_VMRUNNER_STATE_DIR: join(ctx.dir, 'state'),
    JOBMESH_VMRUNNER_CATALOG: catalog, JOBMESH_VMRUNNER_HOST: 'log-host', JOBMESH_LOG_LEVEL: 'info',
  });
  ctx.runnerAddress = `127.0.0.1:${await withDeadline(ctx.runner.serving, 20_000, 'vm-runner serving')}`;
  ctx.store = { chunks: new Map(), calls: 0, fail: () => undefined };
  const store = ctx.store;
  ctx.server = createGrpcServer({
    logger: createLogger('test', { level: 'error' }),
    services: [defineService('jobmesh.persistence.v1.JobLogStoreService', JobLogStoreServiceService, {
      async appendLogChunks(request) {
        const refusal = store.fail(++store.calls);
        if (refusal) throw refusal;
        let appended = 0;
        for (const chunk of request.chunks) if (!store.chunks.has(chunk.seq)) (store.chunks.set(chunk.seq, chunk), appended++);
        return { appended, duplicates: request.chunks.length - appended };
      },
      async readLog() { return { chunks: [], nextSeq: 0, complete: true, hasMore: false }; },
      async *followLog() { /* not used */ },
    })],
  });
  ctx.storeAddress = `127.0.0.1:${await ctx.server.listen('127.0.0.1:0')}`;
  ctx.server.setServing(true);
});
test.after(async (ctx) => {
  ctx.runner?.child.kill('SIGKILL');
  await ctx.server?.shutdown(100);
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

/** A READY VM running `script`, and the clients streamExecToLog takes. */
async function setUp(ctx: Ctx, script: string) {
  const vmRunner = createClient(VmRunnerServiceService, ctx.runnerAddress);
  const { vm } = await vmRunner.prepare({ key: `log-${randomUUID()}`, runsOn: 'local', jobRequestId: '', workspacePath: '', script, env: {} });
  await vmRunner.start({ vmId: vm!.id });
  await vmRunner.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  const logs = createLogStoreClient(ctx.storeAddress, { maxAttempts: 1 });
  return { vmId: vm!.id, clients: { vmRunner, logs }, close: () => (vmRunner.close(), logs.close()) };
}

const fast = { attempts: 4, initialBackoffMs: 20, maxBackoffMs: 100 };
const requestId = () => randomUUID();

test('appends that fail for a while are retried in order: the run goes on and the log has every chunk, no gap', async (ctx) => {
  ctx.store.chunks.clear();
  // Calls 2 and 3 fail (persistence hiccups mid-run); the client itself does not retry (maxAttempts 1).
  ctx.store.fail = (call) => (call === 2 || call === 3 ? new MeshError(status.ABORTED, 'HICCUP', 'a transient failure') : undefined);
  const { vmId, clients, close } = await setUp(ctx, 'for i in $(seq 1 40); do echo "line $i"; sleep 0.02; done');
  try {
    const result = await withDeadline(streamExecToLog(clients, requestId(), vmId, 60_000, new AbortController().signal, undefined, fast), 60_000, 'exec');
    assert.is(result.exitCode, 0);
    const seqs = [...ctx.store.chunks.keys()].sort((a, b) => a - b);
    assert.equal(seqs, Array.from({ length: result.nextSeq }, (_, i) => i), 'every seq once, none missing');
    const text = seqs.map((seq) => Buffer.from(ctx.store.chunks.get(seq)!.data).toString()).join('');
    assert.is(text, Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join(''));
    assert.ok(ctx.store.calls > 3, 'appends went on after the failures');
  } finally {
    close();
  }
});

test('a log that cannot be written fails the step at once with LOG_WRITE_FAILED, not silently at the end of the job', async (ctx) => {
  ctx.store.calls = 0;
  ctx.store.fail = () => invalidArgument('chunks', 'refused for good');
  const { vmId, clients, close } = await setUp(ctx, 'echo start; sleep 30; echo late');
  try {
    const started = Date.now();
    const error = await withDeadline(streamExecToLog(clients, requestId(), vmId, 60_000, new AbortController().signal, undefined, fast).then(() => undefined, (e: unknown) => e), 20_000, 'exec fails');
    assert.ok(isMeshError(error), String(error));
    assert.is((error as MeshError).reason, 'LOG_WRITE_FAILED');
    assert.is((error as MeshError).code, status.INVALID_ARGUMENT, 'a lasting refusal keeps its code (not retried by the step)');
    assert.ok(Date.now() - started < 10_000, 'reported while the job still runs');
  } finally {
    close();
  }
});

test('a log store away for longer than the retries: UNAVAILABLE LOG_WRITE_FAILED, which the step retries by re-joining the run', async (ctx) => {
  ctx.store.calls = 0;
  ctx.store.fail = () => new MeshError(status.UNAVAILABLE, 'DATABASE_UNAVAILABLE', 'away');
  const { vmId, clients, close } = await setUp(ctx, 'echo start; sleep 30');
  try {
    const error = await withDeadline(streamExecToLog(clients, requestId(), vmId, 60_000, new AbortController().signal, undefined, fast).then(() => undefined, (e: unknown) => e), 20_000, 'exec fails');
    assert.is((error as MeshError).reason, 'LOG_WRITE_FAILED');
    assert.is((error as MeshError).code, status.UNAVAILABLE);
    assert.is(ctx.store.calls, fast.attempts, 'the batch was tried its attempts, nothing after it');
  } finally {
    close();
  }
});

test.run();
