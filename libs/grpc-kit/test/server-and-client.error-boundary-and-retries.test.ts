import { JobStoreServiceService, type GetJobRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { createLogger } from '@jobmesh/logger';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createClient, createGrpcServer, defineService, invalidArgument, isIdempotentMethod, notFound, status, unavailable,
  type GrpcServer, type PromiseClient,
} from '../src/index.ts';
import { expectStatus, withDeadline } from '../src/testing/index.ts';

type Ctx = {
  server: GrpcServer;
  jobs: PromiseClient<typeof JobStoreServiceService>;
  logs: PromiseClient<typeof JobLogStoreServiceService>;
  calls: Record<string, number>;
  logLines: string[];
  cancelled: boolean;
};
const test = suite<Ctx>('grpc-kit server error boundary and client retries');

const job = (requestId: string) => ({ spec: undefined, state: 1 as const, exitCode: undefined, error: '', workflowId: '', traceId: requestId, createdAt: undefined, updatedAt: undefined, startedAt: undefined, finishedAt: undefined, lastEventSequence: 0, artifactManifest: '', pipelineId: '', pipelineJobKey: '' });

test.before(async (ctx) => {
  ctx.calls = {};
  ctx.logLines = [];
  ctx.cancelled = false;
  const count = (name: string) => (ctx.calls[name] = (ctx.calls[name] ?? 0) + 1);
  const logger = createLogger('test', { sink: (line) => ctx.logLines.push(line) });
  ctx.server = createGrpcServer({
    logger,
    services: [
      defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, {
        async getJob(request: GetJobRequest) {
          if (count('getJob') < 3) throw unavailable('DATABASE_UNAVAILABLE', 'try again');
          return { job: job(request.requestId) };
        },
        async transitionJob() {
          count('transitionJob');
          throw unavailable('DATABASE_UNAVAILABLE', 'try again');
        },
        async createJob() {
          throw new Error('secret driver detail: password=hunter2');
        },
        async updateJobLinks() {
          throw invalidArgument('trace_id', 'must be hex');
        },
        async listJobs(_request, context) {
          await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }));
          ctx.cancelled = true;
          return { jobs: [], nextPageToken: '' };
        },
        async listJobEvents() {
          throw notFound('JOB_NOT_FOUND', 'no such job');
        },
        async getQueuePosition() {
          return { jobsAhead: 0, state: 1 as const };
        },
        async countJobs() {
          return { count: 0 };
        },
        async recordJobSteps() {
          return {};
        },
        async listJobSteps() {
          return { steps: [] };
        },
        async *watchJobEvents() {
          // not exercised here
        },
      }),
      defineService('jobmesh.persistence.v1.JobLogStoreService', JobLogStoreServiceService, {
        async appendLogChunks() { return { appended: 0, duplicates: 0 }; },
        async readLog() { return { chunks: [], nextSeq: 0, complete: true, hasMore: false }; },
        async *followLog(request) {
          for (let seq = 0; seq < 3; seq++) yield { chunks: [{ requestId: request.requestId, seq, stream: 1 as const, data: Buffer.from(`c${seq}`), createdAt: undefined }] };
          throw notFound('JOB_NOT_FOUND', 'gone mid-stream');
        },
      }),
    ],
  });
  const port = await ctx.server.listen('127.0.0.1:0');
  ctx.server.setServing(true);
  ctx.jobs = createClient(JobStoreServiceService, `127.0.0.1:${port}`, { initialBackoffMs: 10 });
  ctx.logs = createClient(JobLogStoreServiceService, `127.0.0.1:${port}`);
});
test.after(async (ctx) => {
  ctx.jobs?.close();
  ctx.logs?.close();
  await ctx.server?.shutdown(1000);
});

test('idempotency comes from the contract: NO_SIDE_EFFECTS and IDEMPOTENT methods only', () => {
  assert.ok(isIdempotentMethod('/jobmesh.persistence.v1.JobStoreService/GetJob'));
  assert.ok(isIdempotentMethod('/jobmesh.persistence.v1.JobStoreService/CreateJob'));
  assert.not.ok(isIdempotentMethod('/jobmesh.persistence.v1.JobStoreService/TransitionJob'));
  assert.not.ok(isIdempotentMethod('/jobmesh.persistence.v1.WorkflowStoreService/ClaimWorkflows'));
});

test('an idempotent call that fails UNAVAILABLE is retried until it succeeds', async (ctx) => {
  const response = await withDeadline(ctx.jobs.getJob({ requestId: 'r1' }), 5000, 'getJob');
  assert.is(response.job!.traceId, 'r1');
  assert.is(ctx.calls.getJob, 3);
});

test('a non-idempotent call that fails UNAVAILABLE is not retried', async (ctx) => {
  await expectStatus(ctx.jobs.transitionJob({ requestId: 'x', expectedState: 1, newState: 2, message: '', error: '' }), status.UNAVAILABLE, { reason: 'DATABASE_UNAVAILABLE' });
  assert.is(ctx.calls.transitionJob, 1);
});

test('a thrown non-mesh error becomes INTERNAL "internal error", logged, never leaked', async (ctx) => {
  const error = await expectStatus(ctx.jobs.createJob({ spec: undefined, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }), status.INTERNAL, { reason: 'INTERNAL' });
  assert.is(error.message, 'internal error');
  assert.not.match(error.message, /hunter2/);
  assert.ok(ctx.logLines.some((l) => l.includes('hunter2') && l.includes('CreateJob')), 'the server log has the real error');
});

test('code, reason and field survive the wire', async (ctx) => {
  await expectStatus(ctx.jobs.updateJobLinks({ requestId: '', workflowId: '', traceId: 'zz' }), status.INVALID_ARGUMENT, { field: 'trace_id', reason: 'INVALID_FIELD' });
  await expectStatus(ctx.jobs.listJobEvents({ requestId: '', afterSequence: 0, pageSize: 0 }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
});

test('every call has a deadline; the handler sees it pass through its AbortSignal', async (ctx) => {
  await expectStatus(ctx.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 0, pageToken: '' }, { deadlineMs: 200 }), status.DEADLINE_EXCEEDED);
  await withDeadline((async () => { while (!ctx.cancelled) await new Promise((r) => setTimeout(r, 10)); })(), 2000, 'handler saw the abort');
});

test('a server stream delivers its messages, then the error with its code', async (ctx) => {
  const seqs: number[] = [];
  const error = await expectStatus((async () => {
    for await (const m of ctx.logs.followLog({ requestId: 'j', fromSeq: 0 })) seqs.push(...m.chunks.map((c) => c.seq));
  })(), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  assert.equal(seqs, [0, 1, 2]);
  assert.is(error.message, 'gone mid-stream');
});

test('a client against nothing listening fails UNAVAILABLE within its deadline', async () => {
  const client = createClient(JobStoreServiceService, '127.0.0.1:1', { deadlineMs: 1500, initialBackoffMs: 20 });
  await withDeadline(expectStatus(client.getJob({ requestId: 'x' }), status.UNAVAILABLE), 5000, 'unavailable');
  client.close();
});

test.run();
