import { createHash, randomUUID } from 'node:crypto';
import { PipelineStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { RetentionStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { JobState, JobStepKind, JobStepState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// Retention of pipelines: an ended pipeline goes once its attempt ended before the jobs cutoff and
// its jobs went (by the job rules), taking its planned jobs; the steps and holds of jobs go with them.
interface Ctx {
  p: TestPersistence;
  db: pg.Client;
  pipelines: ReturnType<typeof createClient<typeof PipelineStoreServiceService>>;
  retention: ReturnType<typeof createClient<typeof RetentionStoreServiceService>>;
}
const test = suite<Ctx>('persistence PruneHistory of pipelines');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.db = new pg.Client({ connectionString: ctx.p.database.url });
  await ctx.db.connect();
  ctx.pipelines = createClient(PipelineStoreServiceService, ctx.p.address);
  ctx.retention = createClient(RetentionStoreServiceService, ctx.p.address);
});
test.after(async (ctx) => {
  ctx.pipelines?.close();
  ctx.retention?.close();
  await ctx.db?.end();
  await ctx.p?.stop();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3_600_000);
const runStep = {
  index: 0, name: 'build', kind: JobStepKind.JOB_STEP_KIND_RUN, state: JobStepState.JOB_STEP_STATE_UNSPECIFIED, exitCode: undefined,
  startedAt: undefined, finishedAt: undefined, startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0, errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0,
  hasStart: false, hasEnd: false, hasErrStart: false, hasErrEnd: false, approvedBy: '', prompt: '',
};

/** Sets a row's times with its updated_at trigger off for this statement only. */
async function backdate(db: pg.Client, table: 'jobs' | 'pipelines', key: string, id: string, at: Date) {
  await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_touch;
    UPDATE ${table} SET finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE '${at.toISOString()}'::timestamptz END,
      updated_at = '${at.toISOString()}' WHERE ${key} = '${id}';
    ALTER TABLE ${table} ENABLE TRIGGER ${table}_touch`);
}

/**
 * A pipeline with one job that has a step and holds a concurrency group; the job ends (or stays
 * running), the pipeline ends (or stays running), both `ageDays` ago.
 */
async function pipelineWithJob(ctx: Ctx, ageDays: number, options: { pipeline: 'ended' | 'running'; job: 'ended' | 'running' }) {
  const id = randomUUID();
  await ctx.pipelines.createPipeline({
    id, repoUrl: 'https://example.com/app.git', commitSha: 'a'.repeat(40), manifestPath: '.jobmesh.yml',
    manifestSha256: createHash('sha256').update(id).digest('hex'), workflowId: randomUUID(), traceId: '',
    jobs: [{ key: 'build', manifestId: 'build', name: 'build', matrix: {}, runsOn: 'local', needs: [], condition: 'success', concurrency: 'g', steps: [runStep] }],
  });
  const spec = jobSpec();
  const jobId = spec.requestId;
  await ctx.p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: id, pipelineJobKey: 'build' });
  await ctx.p.clients.jobs.recordJobSteps({ requestId: jobId, steps: [runStep] });
  await ctx.pipelines.acquireConcurrencyGroup({ group: 'g', jobRequestId: jobId });
  const newState = options.job === 'ended' ? JobState.JOB_STATE_SUCCEEDED : JobState.JOB_STATE_RUNNING;
  await ctx.p.clients.jobs.transitionJob({ requestId: jobId, expectedState: JobState.JOB_STATE_QUEUED, newState, message: '', error: '' });
  if (options.pipeline === 'ended') await ctx.pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_SUCCEEDED, error: '' });
  await backdate(ctx.db, 'jobs', 'request_id', jobId, daysAgo(ageDays));
  await backdate(ctx.db, 'pipelines', 'id', id, daysAgo(ageDays));
  return { id, jobId };
}

async function rowsOf(db: pg.Client, { id, jobId }: { id: string; jobId: string }) {
  const count = async (query: string, value: string) => (await db.query(query, [value])).rows[0].n as number;
  return {
    pipelines: await count('SELECT count(*)::int AS n FROM pipelines WHERE id = $1', id),
    pipelineJobs: await count('SELECT count(*)::int AS n FROM pipeline_jobs WHERE pipeline_id = $1', id),
    jobs: await count('SELECT count(*)::int AS n FROM jobs WHERE request_id = $1', jobId),
    jobSteps: await count('SELECT count(*)::int AS n FROM job_steps WHERE job_request_id = $1', jobId),
    holds: await count('SELECT count(*)::int AS n FROM concurrency_holds WHERE job_request_id = $1', jobId),
  };
}

const whole = { pipelines: 1, pipelineJobs: 1, jobs: 1, jobSteps: 1, holds: 1 };
// A job that ended left its concurrency group in the transaction of its last transition.
const wholeEnded = { ...whole, holds: 0 };
const gone = { pipelines: 0, pipelineJobs: 0, jobs: 0, jobSteps: 0, holds: 0 };

test('an old ended pipeline goes after its jobs; recent, running and live-job pipelines stay whole', async (ctx) => {
  const old = await pipelineWithJob(ctx, 40, { pipeline: 'ended', job: 'ended' });
  const recent = await pipelineWithJob(ctx, 1, { pipeline: 'ended', job: 'ended' });
  const running = await pipelineWithJob(ctx, 60, { pipeline: 'running', job: 'ended' });
  const liveJob = await pipelineWithJob(ctx, 60, { pipeline: 'ended', job: 'running' });
  const cutoff = daysAgo(30);
  const prune = (dryRun: boolean, batchSize = 0, maxBatches = 0) =>
    ctx.retention.pruneHistory({ cutoffs: { jobs: cutoff, logs: undefined, artifacts: undefined, vms: undefined, fsJobs: undefined }, dryRun, batchSize, maxBatches });

  const dry = await prune(true);
  assert.is(dry.counts!.jobs, 2, 'the old pipeline\'s job and the running pipeline\'s ended job');
  assert.equal(await rowsOf(ctx.db, old), wholeEnded, 'a dry run deletes nothing');

  let calls = 0;
  for (let more = true; more; calls++) more = (await prune(false, 1, 1)).more;
  assert.ok(calls > 1, 'batches of one needed more than one call');
  assert.equal(await rowsOf(ctx.db, old), gone);
  assert.equal(await rowsOf(ctx.db, recent), wholeEnded);
  assert.equal(await rowsOf(ctx.db, running), { ...whole, jobs: 0, jobSteps: 0, holds: 0 }, 'its ended job goes, the running pipeline stays');
  assert.equal(await rowsOf(ctx.db, liveJob), whole, 'a live job keeps itself and its pipeline');
  assert.is((await prune(false)).counts!.jobs, 0, 'a repeat finds nothing');
});

test.run();
