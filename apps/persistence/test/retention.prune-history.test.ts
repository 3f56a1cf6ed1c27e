import { createHash, randomUUID } from 'node:crypto';
import { RetentionStoreServiceService, type PruneCounts, type PruneHistoryRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { manifestSha256 } from '@jobmesh/artifacts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// Retention: ended history older than the cutoff goes in small batches; recent and live rows stay.
const test = suite<{ p: TestPersistence; db: pg.Client; retention: ReturnType<typeof createClient<typeof RetentionStoreServiceService>> }>('persistence PruneHistory');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.db = new pg.Client({ connectionString: ctx.p.database.url });
  await ctx.db.connect();
  ctx.retention = createClient(RetentionStoreServiceService, ctx.p.address);
});
test.after(async (ctx) => {
  ctx.retention?.close();
  await ctx.db?.end();
  await ctx.p?.stop();
});

const day = 24 * 3_600_000;
const daysAgo = (days: number) => new Date(Date.now() - days * day);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const tables = ['jobs', 'job_events', 'job_log_chunks', 'workflows', 'workflow_steps', 'vms', 'vm_events', 'fs_jobs', 'artifact_sets', 'artifact_files'];

/** Rows of every table retention touches that belong to `jobId` (VMs, workflows and fs jobs by their job). */
async function rowsOf(db: pg.Client, jobId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const column = ['jobs', 'job_events', 'job_log_chunks'].includes(table) ? 'request_id' : table === 'workflow_steps' ? 'workflow_id' : table === 'vm_events' ? 'job_request_id' : 'job_request_id';
    const key = table === 'workflow_steps' ? `(SELECT id FROM workflows WHERE job_request_id = $1)` : '$1';
    const result = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} IN (${key})`, [jobId]);
    counts[table] = result.rows[0].n;
  }
  return counts;
}

/**
 * A job with its whole history: 3 log chunks, 2 artifact files, a workflow with 2 steps, a VM
 * with 2 events, an fs job; everything ended `ageDays` ago (or live, with `state`).
 */
async function jobWithHistory(p: TestPersistence, db: pg.Client, ageDays: number, state: 'succeeded' | 'running' = 'succeeded'): Promise<string> {
  const spec = jobSpec();
  const id = spec.requestId;
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const chunk = (seq: number) => ({ requestId: id, seq, stream: LogStream.LOG_STREAM_STDOUT, data: Buffer.from(`line ${seq}\n`), createdAt: undefined });
  await p.clients.logs.appendLogChunks({ chunks: [chunk(0), chunk(1), chunk(2)] });
  const files = ['out/a.txt', 'out/b.txt'].map((path) => ({ path, sizeBytes: 1, sha256: sha(path), mode: 0o644 }));
  await p.clients.artifacts.recordArtifacts({ jobRequestId: id, artifactDir: `/artifacts/${id}`, files, manifestSha256: manifestSha256(files), unmatchedPatterns: [] });
  const newState = state === 'running' ? JobState.JOB_STATE_PREPARING : JobState.JOB_STATE_SUCCEEDED;
  await p.clients.jobs.transitionJob({ requestId: id, expectedState: JobState.JOB_STATE_QUEUED, newState, message: '', error: '' });
  const at = daysAgo(ageDays);
  const live = state === 'running';
  await db.query(`UPDATE jobs SET state = $2, finished_at = CASE WHEN $3 THEN NULL ELSE $4::timestamptz END, created_at = $4 WHERE request_id = $1`, [id, live ? 'running' : 'succeeded', live, at]);
  // updated_at is kept by a trigger: backdate it with the trigger off for this statement only.
  await db.query(`ALTER TABLE jobs DISABLE TRIGGER jobs_touch; UPDATE jobs SET updated_at = '${at.toISOString()}' WHERE request_id = '${id}'; ALTER TABLE jobs ENABLE TRIGGER jobs_touch`);
  const workflowId = randomUUID();
  await db.query(`INSERT INTO workflows (id, name, status, job_request_id, created_at, finished_at) VALUES ($1, 'jobmesh.orchestrator/run-job', $2, $3, $4, $5)`,
    [workflowId, live ? 'running' : 'succeeded', id, at, live ? null : at]);
  for (const n of [0, 1]) {
    await db.query(`INSERT INTO workflow_steps (workflow_id, step_number, name, status, started_at, finished_at) VALUES ($1, $2, 'vm.prepare', 'succeeded', $3, $3)`, [workflowId, n, at]);
  }
  const vmId = randomUUID();
  await db.query(`INSERT INTO vms (request_id, job_request_id, backend, state, last_event_at) VALUES ($1, $2, 'process', $3, $4)`, [vmId, id, live ? 'executing' : 'destroyed', at]);
  for (const vmState of ['preparing', live ? 'executing' : 'destroyed']) {
    await db.query(`INSERT INTO vm_events (event_id, request_id, job_request_id, backend, state, occurred_at) VALUES ($1, $2, $3, 'process', $4, $5)`, [randomUUID(), vmId, id, vmState, at]);
  }
  await db.query(`INSERT INTO fs_jobs (id, kind, state, job_request_id, completed_at) VALUES ($1, 'collect_artifacts', 'completed', $2, $3)`, [`collect:${id}`, id, at]);
  return id;
}

const cutoffs = (date: Date) => ({ jobs: date, logs: date, artifacts: date, vms: date, fsJobs: date });
const prune = (ctx: { retention: ReturnType<typeof createClient<typeof RetentionStoreServiceService>> }, request: Partial<PruneHistoryRequest>) =>
  ctx.retention.pruneHistory({ cutoffs: undefined, dryRun: false, batchSize: 0, maxBatches: 0, ...request });
/** Counts of `n` jobs of jobWithHistory. */
const countsOf = (n: number): PruneCounts => ({
  jobs: n, jobEvents: n * 2, logChunks: n * 3, logBytes: n * 21, workflows: n, workflowSteps: n * 2,
  vms: n, vmEvents: n * 2, fsJobs: n, artifactSets: n, artifactFiles: n * 2,
});

test('a dry run counts old ended history and deletes nothing; the prune then deletes exactly that, in batches; recent and running jobs stay', async (ctx) => {
  const { p, db } = ctx;
  const old = [await jobWithHistory(p, db, 40), await jobWithHistory(p, db, 45)];
  const recent = await jobWithHistory(p, db, 1);
  const running = await jobWithHistory(p, db, 60, 'running');
  const before = await Promise.all([...old, recent, running].map((id) => rowsOf(db, id)));
  const cutoff = daysAgo(30);

  const dry = await prune(ctx, { cutoffs: cutoffs(cutoff), dryRun: true });
  assert.equal(dry.counts, countsOf(2));
  assert.equal(dry.prunedArtifacts.map((s) => s.jobRequestId).sort(), [...old].sort());
  assert.is(dry.more, false);
  assert.equal(await Promise.all([...old, recent, running].map((id) => rowsOf(db, id))), before, 'a dry run deletes nothing');

  // Batches of 1, at most 2 per table and call: the caller calls again while `more` says so.
  const total = countsOf(0);
  const pruned: string[] = [];
  let calls = 0;
  for (let more = true; more; calls++) {
    const answer = await prune(ctx, { cutoffs: cutoffs(cutoff), batchSize: 1, maxBatches: 2 });
    for (const key of Object.keys(total) as (keyof PruneCounts)[]) total[key] += answer.counts![key];
    pruned.push(...answer.prunedArtifacts.map((s) => s.jobRequestId));
    more = answer.more;
    assert.ok(calls < 20, 'pruning ends');
  }
  assert.ok(calls > 1, 'small batches needed more than one call');
  assert.equal(total, countsOf(2));
  assert.equal(pruned.sort(), [...old].sort());
  for (const id of old) assert.equal(Object.values(await rowsOf(db, id)), tables.map(() => 0), `job ${id} is gone everywhere`);
  assert.equal(await rowsOf(db, recent), before[2], 'a recent job stays whole');
  assert.equal(await rowsOf(db, running), before[3], 'a running job stays whole, however old');
  assert.equal((await prune(ctx, { cutoffs: cutoffs(cutoff) })).counts, countsOf(0), 'a repeat finds nothing');
});

test('only the kinds given a cutoff go: logs and artifacts alone leave the job', async (ctx) => {
  const { p, db } = ctx;
  const id = await jobWithHistory(p, db, 40);
  const answer = await prune(ctx, { cutoffs: { jobs: undefined, logs: daysAgo(30), artifacts: daysAgo(30), vms: undefined, fsJobs: undefined } });
  assert.is(answer.counts!.logChunks, 3);
  assert.is(answer.counts!.artifactSets, 1);
  assert.is(answer.counts!.jobs, 0);
  const rows = await rowsOf(db, id);
  assert.equal([rows.jobs, rows.job_log_chunks, rows.artifact_sets, rows.artifact_files, rows.workflows, rows.vms], [1, 0, 0, 0, 1, 1]);
  assert.is((await p.clients.artifacts.listArtifacts({ jobRequestId: id, pageSize: 0, pageToken: '' })).recorded, false);
});

test('a row another transaction holds is skipped, not waited for, and goes on a later prune', async (ctx) => {
  const { p, db } = ctx;
  const id = await jobWithHistory(p, db, 40);
  const holder = new pg.Client({ connectionString: p.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM jobs WHERE request_id = $1 FOR UPDATE', [id]);
    const first = await withDeadline(prune(ctx, { cutoffs: cutoffs(daysAgo(30)) }), 20_000, 'prune beside a locked row');
    const rows = await rowsOf(db, id);
    assert.is(rows.jobs, 1, 'the locked job stays');
    assert.is(rows.job_log_chunks, 0, 'its unlocked children go');
    await holder.query('ROLLBACK');
  } finally {
    await holder.end();
  }
  assert.is((await prune(ctx, { cutoffs: cutoffs(daysAgo(30)) })).counts!.jobs, 1);
  assert.is((await rowsOf(db, id)).jobs, 0);
});

test('bad arguments are INVALID_ARGUMENT naming the field', async (ctx) => {
  const future = new Date(Date.now() + day);
  await expectStatus(prune(ctx, { cutoffs: { ...cutoffs(daysAgo(1)), jobs: future } }), status.INVALID_ARGUMENT, { field: 'cutoffs.jobs' });
  await expectStatus(prune(ctx, { cutoffs: { ...cutoffs(daysAgo(1)), fsJobs: future } }), status.INVALID_ARGUMENT, { field: 'cutoffs.fs_jobs' });
  await expectStatus(prune(ctx, { cutoffs: cutoffs(daysAgo(1)), batchSize: 10_001 }), status.INVALID_ARGUMENT, { field: 'batch_size' });
  await expectStatus(prune(ctx, { cutoffs: cutoffs(daysAgo(1)), maxBatches: -1 }), status.INVALID_ARGUMENT, { field: 'max_batches' });
});

test('no cutoff keeps everything', async (ctx) => {
  await jobWithHistory(ctx.p, ctx.db, 400);
  assert.equal((await prune(ctx, {})).counts, countsOf(0));
});

test.run();
