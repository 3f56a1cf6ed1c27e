import { randomUUID } from 'node:crypto';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobState, JobStepKind, JobStepState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// Job steps: RecordJobSteps only moves a step forward and keeps what it recorded first; a job's
// terminal transition ends its open steps in the same transaction; CreateJob links pipelines.
const test = suite<{ p: TestPersistence; db: pg.Client }>('persistence job steps');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.db = new pg.Client({ connectionString: ctx.p.database.url });
  await ctx.db.connect();
});
test.after(async (ctx) => {
  await ctx.db?.end();
  await ctx.p?.stop();
});

const RUN = JobStepKind.JOB_STEP_KIND_RUN;
const S = JobStepState;

/** A step of RecordJobSteps; override what the run reached (a boundary given counts as recorded unless its flag says not). */
function step(index: number, overrides: Partial<JobStep> = {}): JobStep {
  const given = (...keys: Array<keyof JobStep>) => keys.some((key) => key in overrides);
  return {
    index, name: `step ${index + 1}`, kind: RUN, state: S.JOB_STEP_STATE_UNSPECIFIED, exitCode: undefined, startedAt: undefined,
    finishedAt: undefined, startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0, errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0,
    hasStart: given('startSeq', 'startOffset'), hasEnd: given('endSeq', 'endOffset'), hasErrStart: given('errStartSeq', 'errStartOffset'), hasErrEnd: given('errEndSeq', 'errEndOffset'),
    approvedBy: '', prompt: '', ...overrides,
  };
}

async function newJob(p: TestPersistence, extra: { pipelineId?: string; pipelineJobKey?: string } = {}) {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '', ...extra });
  return spec.requestId;
}

const record = (p: TestPersistence, requestId: string, steps: JobStep[]) => p.clients.jobs.recordJobSteps({ requestId, steps });
const statesOf = async (p: TestPersistence, requestId: string) => (await p.clients.jobs.listJobSteps({ requestId })).steps.map((s) => s.state);

/** Moves a queued job through to `to` (RUNNING first). */
async function endJob(p: TestPersistence, requestId: string, to: JobState) {
  const t = (from: JobState, next: JobState) => p.clients.jobs.transitionJob({ requestId, expectedState: from, newState: next, message: '', error: '' });
  await t(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING);
  await t(JobState.JOB_STATE_RUNNING, to);
}

test('CreateJob stores pipeline_id and pipeline_job_key, returns them everywhere, and compares them on a repeat', async ({ p }) => {
  const pipelineId = randomUUID();
  const spec = jobSpec();
  const created = await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId, pipelineJobKey: 'build-a' });
  assert.is(created.job!.pipelineId, pipelineId);
  assert.is(created.job!.pipelineJobKey, 'build-a');
  assert.is((await p.clients.jobs.getJob({ requestId: spec.requestId })).job!.pipelineJobKey, 'build-a');
  const listed = await p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' });
  assert.is(listed.jobs.find((j) => j.spec!.requestId === spec.requestId)!.pipelineId, pipelineId);
  const again = await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: pipelineId.toUpperCase(), pipelineJobKey: 'build-a' });
  assert.is(again.created, false);
  for (const other of [{ pipelineId, pipelineJobKey: 'build-b' }, { pipelineId: randomUUID(), pipelineJobKey: 'build-a' }, { pipelineId: '', pipelineJobKey: '' }]) {
    await expectStatus(p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', ...other }), status.ALREADY_EXISTS, { reason: 'JOB_CONFLICT' });
  }
  const alone = await p.clients.jobs.createJob({ spec: jobSpec(), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  assert.is(alone.job!.pipelineId, '');
  assert.is(alone.job!.pipelineJobKey, '');
});

test('CreateJob refuses half a pipeline link or a bad one, naming the field', async ({ p }) => {
  const cases: [{ pipelineId: string; pipelineJobKey: string }, string][] = [
    [{ pipelineId: '', pipelineJobKey: 'build' }, 'pipeline_job_key'],
    [{ pipelineId: randomUUID(), pipelineJobKey: '' }, 'pipeline_job_key'],
    [{ pipelineId: randomUUID(), pipelineJobKey: 'has space' }, 'pipeline_job_key'],
    [{ pipelineId: 'nope', pipelineJobKey: 'build' }, 'pipeline_id'],
  ];
  for (const [link, field] of cases) {
    await expectStatus(p.clients.jobs.createJob({ spec: jobSpec(), workflowId: '', traceId: '', ...link }), status.INVALID_ARGUMENT, { field });
  }
});

test('RecordJobSteps creates PENDING steps, moves states only forward and keeps the first name, times, boundaries and exit code', async ({ p }) => {
  const id = await newJob(p);
  assert.equal((await p.clients.jobs.listJobSteps({ requestId: id })).steps, [], 'a job without steps has none');
  await record(p, id, [step(2), step(0), step(1)]);
  let { steps } = await p.clients.jobs.listJobSteps({ requestId: id });
  assert.equal(steps.map((s) => [s.index, s.name, s.kind, s.state]), [0, 1, 2].map((i) => [i, `step ${i + 1}`, RUN, S.JOB_STEP_STATE_PENDING]));
  assert.is(steps[0]!.startedAt, undefined);
  assert.is(steps[0]!.exitCode, undefined);

  const t1 = new Date('2030-01-01T00:00:01.123Z');
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_RUNNING, startedAt: t1, startSeq: 3, startOffset: 17 })]);
  // A replayed run reports the step again: other name, earlier state, other start. Nothing moves back.
  await record(p, id, [step(0, { name: 'renamed', state: S.JOB_STEP_STATE_PENDING, startedAt: new Date('2030-01-01T00:00:09Z'), startSeq: 9, startOffset: 1 })]);
  steps = (await p.clients.jobs.listJobSteps({ requestId: id })).steps;
  assert.equal([steps[0]!.name, steps[0]!.state, steps[0]!.startedAt, steps[0]!.startSeq, steps[0]!.startOffset],
    ['step 1', S.JOB_STEP_STATE_RUNNING, t1, 3, 17]);

  const t2 = new Date('2030-01-01T00:00:05Z');
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_SUCCEEDED, exitCode: 0, finishedAt: t2, endSeq: 5, endOffset: 2 }),
    step(1, { state: S.JOB_STEP_STATE_RUNNING, startedAt: t2, startSeq: 5, startOffset: 2 })]);
  // A final state is final, and the first exit code and end stay.
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_FAILED, exitCode: 1, finishedAt: new Date('2030-01-02T00:00:00Z'), endSeq: 8, endOffset: 0 })]);
  steps = (await p.clients.jobs.listJobSteps({ requestId: id })).steps;
  assert.equal([steps[0]!.state, steps[0]!.exitCode, steps[0]!.finishedAt, steps[0]!.endSeq, steps[0]!.endOffset],
    [S.JOB_STEP_STATE_SUCCEEDED, 0, t2, 5, 2]);
  assert.is(steps[1]!.state, S.JOB_STEP_STATE_RUNNING);
  // A step may skip ahead (PENDING straight to FAILED), and an exit code arrives later.
  await record(p, id, [step(2, { state: S.JOB_STEP_STATE_FAILED })]);
  await record(p, id, [step(2, { exitCode: 7 })]);
  steps = (await p.clients.jobs.listJobSteps({ requestId: id })).steps;
  assert.equal([steps[2]!.state, steps[2]!.exitCode], [S.JOB_STEP_STATE_FAILED, 7]);
});

test('RecordJobSteps and ListJobSteps refuse bad input naming the field, and unknown jobs as NOT_FOUND', async ({ p }) => {
  const id = await newJob(p);
  const cases: [JobStep[], string][] = [
    [[], 'steps'],
    [Array.from({ length: 101 }, (_, i) => step(i)), 'steps'],
    [[step(0), step(0)], 'steps[1].index'],
    [[step(-1)], 'steps[0].index'],
    [[step(0, { name: '' })], 'steps[0].name'],
    [[step(0, { kind: JobStepKind.JOB_STEP_KIND_UNSPECIFIED })], 'steps[0].kind'],
    [[step(0, { state: 42 as JobStepState })], 'steps[0].state'],
    [[step(0, { startSeq: 4, hasStart: false })], 'steps[0].has_start'],
    [[step(0, { endOffset: 4, hasEnd: false })], 'steps[0].has_end'],
    [[step(0, { errStartSeq: 4, hasErrStart: false })], 'steps[0].has_err_start'],
    [[step(0, { errEndOffset: -1 })], 'steps[0].err_end_offset'],
    [[step(0, { startedAt: new Date(), startOffset: -1 })], 'steps[0].start_offset'],
  ];
  for (const [steps, field] of cases) await expectStatus(record(p, id, steps), status.INVALID_ARGUMENT, { field });
  await expectStatus(p.clients.jobs.recordJobSteps({ requestId: 'x', steps: [step(0)] }), status.INVALID_ARGUMENT, { field: 'request_id' });
  assert.equal((await p.clients.jobs.listJobSteps({ requestId: id })).steps, [], 'nothing was written');
  await expectStatus(record(p, randomUUID(), [step(0)]), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  await expectStatus(p.clients.jobs.listJobSteps({ requestId: randomUUID() }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
});

test('a terminal TransitionJob ends the open steps in its transaction: RUNNING by how the job ended, PENDING skipped', async ({ p }) => {
  const endings: [JobState, JobStepState][] = [
    [JobState.JOB_STATE_FAILED, S.JOB_STEP_STATE_FAILED],
    [JobState.JOB_STATE_CANCELLED, S.JOB_STEP_STATE_CANCELLED],
    [JobState.JOB_STATE_TIMED_OUT, S.JOB_STEP_STATE_CANCELLED],
    [JobState.JOB_STATE_SUCCEEDED, S.JOB_STEP_STATE_SUCCEEDED],
  ];
  for (const [jobState, runningBecomes] of endings) {
    const id = await newJob(p);
    await record(p, id, [step(0, { state: S.JOB_STEP_STATE_SUCCEEDED, exitCode: 0 }), step(1, { state: S.JOB_STEP_STATE_RUNNING }), step(2)]);
    await p.clients.jobs.transitionJob({ requestId: id, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_RUNNING, message: '', error: '' });
    assert.equal(await statesOf(p, id), [S.JOB_STEP_STATE_SUCCEEDED, S.JOB_STEP_STATE_RUNNING, S.JOB_STEP_STATE_PENDING], 'a live transition leaves them');
    const before = Date.now();
    const ended = await p.clients.jobs.transitionJob({ requestId: id, expectedState: JobState.JOB_STATE_RUNNING, newState: jobState, message: '', error: '' });
    const { steps } = await p.clients.jobs.listJobSteps({ requestId: id });
    assert.equal(steps.map((s) => s.state), [S.JOB_STEP_STATE_SUCCEEDED, runningBecomes, S.JOB_STEP_STATE_SKIPPED], `job state ${jobState}`);
    assert.ok(steps[1]!.finishedAt!.getTime() >= before - 1000 && steps[1]!.finishedAt!.getTime() <= ended.job!.finishedAt!.getTime() + 1000);
    assert.is(steps[2]!.finishedAt, undefined);
    // A step reported after the end (a late report) is ended as the transition would have; the exit code still lands.
    await record(p, id, [step(1, { exitCode: 3 }), step(3, { state: S.JOB_STEP_STATE_RUNNING })]);
    const late = (await p.clients.jobs.listJobSteps({ requestId: id })).steps;
    assert.equal([late[1]!.state, late[1]!.exitCode, late[3]!.state], [runningBecomes, 3, runningBecomes]);
  }
});

test('a job without steps transitions as before; a refused transition changes no step', async ({ p }) => {
  const bare = await newJob(p);
  await endJob(p, bare, JobState.JOB_STATE_FAILED);
  assert.equal(await statesOf(p, bare), []);
  const id = await newJob(p);
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_RUNNING })]);
  await expectStatus(p.clients.jobs.transitionJob({ requestId: id, expectedState: JobState.JOB_STATE_RUNNING, newState: JobState.JOB_STATE_FAILED, message: '', error: '' }),
    status.FAILED_PRECONDITION, { reason: 'STATE_MISMATCH' });
  assert.equal(await statesOf(p, id), [S.JOB_STEP_STATE_RUNNING]);
});

test('steps of a pipeline job that change mark the pipeline changed (updated_at); a replay that adds nothing does not', async ({ p, db }) => {
  const pipelineId = randomUUID();
  await db.query(`INSERT INTO pipelines (id, repo_url, commit_sha, manifest_path, manifest_sha256) VALUES ($1, 'file:///r.git', $2, '.jobmesh.yml', $3)`,
    [pipelineId, 'a'.repeat(40), 'b'.repeat(64)]);
  const updatedAt = async () => (await db.query('SELECT updated_at FROM pipelines WHERE id = $1', [pipelineId])).rows[0].updated_at as Date;
  const id = await newJob(p, { pipelineId, pipelineJobKey: 'build' });
  let last = await updatedAt();
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_RUNNING })]);
  assert.ok((await updatedAt()) > last, 'a new step touches the pipeline');
  last = await updatedAt();
  await record(p, id, [step(0, { state: S.JOB_STEP_STATE_PENDING })]);
  assert.equal(await updatedAt(), last, 'a replay changes nothing');
  await endJob(p, id, JobState.JOB_STATE_CANCELLED);
  assert.ok((await updatedAt()) > last, 'steps ended by the transition touch it');
});

test.run();
