import { createHash, randomUUID } from 'node:crypto';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import {
  PipelineStoreServiceService, type CreatePipelineRequest, type PipelineJobUpdate, type PlannedJob,
} from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepKind, JobStepState, PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

type Pipelines = ReturnType<typeof createClient<typeof PipelineStoreServiceService>>;
const test = suite<{ p: TestPersistence; pipelines: Pipelines }>('persistence pipelines');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.pipelines = createClient(PipelineStoreServiceService, ctx.p.address);
});
test.after(async (ctx) => {
  ctx.pipelines?.close();
  await ctx.p?.stop();
});

const S = JobStepState;
const J = PipelineJobState;

/** A planned step. */
function step(index: number, kind: JobStepKind, name: string, prompt = ''): JobStep {
  return {
    index, name, kind, state: S.JOB_STEP_STATE_UNSPECIFIED, exitCode: undefined, startedAt: undefined, finishedAt: undefined,
    startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0, errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0,
    hasStart: false, hasEnd: false, hasErrStart: false, hasErrEnd: false, approvedBy: '', prompt,
  };
}
const run = (index: number, name: string) => step(index, JobStepKind.JOB_STEP_KIND_RUN, name);
const block = (index: number, prompt: string) => step(index, JobStepKind.JOB_STEP_KIND_BLOCK, `approve ${index}`, prompt);

function planned(key: string, overrides: Partial<PlannedJob> = {}): PlannedJob {
  return {
    key, manifestId: key.split('-')[0]!, name: key, matrix: {}, runsOn: 'local', needs: [], condition: 'success', concurrency: '',
    steps: [run(0, 'build'), run(1, 'test')], ...overrides,
  };
}

/** build-a and build-b (a matrix), test needing both, deploy (two block steps, then a run step) needing test. */
function pipelineRequest(overrides: Partial<CreatePipelineRequest> = {}): CreatePipelineRequest {
  return {
    id: randomUUID(),
    repoUrl: 'https://example.com/app.git',
    commitSha: 'c'.repeat(40),
    manifestPath: '.jobmesh.yml',
    manifestSha256: createHash('sha256').update('manifest').digest('hex'),
    workflowId: randomUUID(),
    traceId: 'f'.repeat(32),
    jobs: [
      planned('build-a', { name: 'build (os=a)', matrix: { os: 'a', node: '22' } }),
      planned('build-b', { name: 'build (os=b)', matrix: { os: 'b', node: '22' } }),
      planned('test', { needs: ['build-a', 'build-b'], condition: 'always' }),
      planned('deploy', { needs: ['test'], concurrency: 'prod', steps: [block(0, 'Ship it?'), block(1, 'Really?'), run(2, 'ship')] }),
    ],
    ...overrides,
  };
}

const update = (key: string, state: PipelineJobState, extra: Partial<PipelineJobUpdate> = {}): PipelineJobUpdate =>
  ({ key, state, reason: '', jobRequestId: '', runs: 0, startedAt: undefined, finishedAt: undefined, ...extra });
const get = async (pipelines: Pipelines, id: string) => (await pipelines.getPipeline({ id })).pipeline!;
const jobOf = async (pipelines: Pipelines, id: string, key: string) => (await get(pipelines, id)).jobs.find((j) => j.key === key)!;

test('CreatePipeline stores a RUNNING pipeline at attempt 1 with its PENDING jobs in plan order, and is idempotent by id', async ({ pipelines }) => {
  const request = pipelineRequest();
  const first = await pipelines.createPipeline(request);
  assert.is(first.created, true);
  const p = first.pipeline!;
  assert.equal([p.id, p.state, p.attempt, p.workflowId, p.traceId, p.manifestSha256, p.finishedAt],
    [request.id, PipelineState.PIPELINE_STATE_RUNNING, 1, request.workflowId, request.traceId, request.manifestSha256, undefined]);
  assert.equal(p.jobs.map((j) => [j.key, j.position, j.state, j.runs, j.jobRequestId]),
    [['build-a', 0, J.PIPELINE_JOB_STATE_PENDING, 0, ''], ['build-b', 1, J.PIPELINE_JOB_STATE_PENDING, 0, ''],
      ['test', 2, J.PIPELINE_JOB_STATE_PENDING, 0, ''], ['deploy', 3, J.PIPELINE_JOB_STATE_PENDING, 0, '']]);
  const deploy = p.jobs[3]!;
  assert.equal([deploy.needs, deploy.concurrency, deploy.condition, p.jobs[2]!.condition, p.jobs[0]!.matrix],
    [['test'], 'prod', 'success', 'always', { os: 'a', node: '22' }]);
  assert.equal(deploy.steps.map((s) => [s.index, s.name, s.kind, s.state, s.prompt]), [
    [0, 'approve 0', JobStepKind.JOB_STEP_KIND_BLOCK, S.JOB_STEP_STATE_PENDING, 'Ship it?'],
    [1, 'approve 1', JobStepKind.JOB_STEP_KIND_BLOCK, S.JOB_STEP_STATE_PENDING, 'Really?'],
    [2, 'ship', JobStepKind.JOB_STEP_KIND_RUN, S.JOB_STEP_STATE_PENDING, ''],
  ]);
  assert.equal(await get(pipelines, request.id), p, 'GetPipeline reads the same');

  // The same request (matrix written in another order, other links) returns the stored pipeline.
  const jobs = request.jobs.map((j) => ({ ...j, matrix: Object.fromEntries(Object.entries(j.matrix).reverse()) }));
  const again = await pipelines.createPipeline({ ...request, jobs, workflowId: randomUUID(), traceId: '' });
  assert.is(again.created, false);
  assert.equal(again.pipeline, p);
});

test('CreatePipeline with another source, manifest or plan under the same id is ALREADY_EXISTS and changes nothing', async ({ pipelines }) => {
  const request = pipelineRequest();
  const { pipeline } = await pipelines.createPipeline(request);
  const [a, b, t, d] = request.jobs as [PlannedJob, PlannedJob, PlannedJob, PlannedJob];
  const others: Partial<CreatePipelineRequest>[] = [
    { commitSha: 'd'.repeat(40) },
    { manifestSha256: 'e'.repeat(64) },
    { manifestPath: 'ci/other.yml' },
    { jobs: [a, b, t] },
    { jobs: [b, a, t, d] },
    { jobs: [a, b, t, { ...d, steps: [block(0, 'Ship it?'), block(1, 'Really?'), run(2, 'ship!')] }] },
    { jobs: [a, b, { ...t, condition: 'failure' }, d] },
    { jobs: [{ ...a, matrix: { os: 'a', node: '24' } }, b, t, d] },
  ];
  for (const other of others) {
    await expectStatus(pipelines.createPipeline({ ...request, ...other }), status.ALREADY_EXISTS, { reason: 'PIPELINE_CONFLICT' });
  }
  assert.equal(await get(pipelines, request.id), pipeline);
});

test('CreatePipeline refuses a bad request naming the field, and writes nothing', async ({ pipelines }) => {
  const base = pipelineRequest();
  const [a, b, t, d] = base.jobs as [PlannedJob, PlannedJob, PlannedJob, PlannedJob];
  const cases: [Partial<CreatePipelineRequest>, string][] = [
    [{ id: 'x' }, 'id'],
    [{ repoUrl: 'ftp://x' }, 'repo_url'],
    [{ commitSha: 'abc' }, 'commit_sha'],
    [{ manifestPath: '' }, 'manifest_path'],
    [{ manifestSha256: 'ABC' }, 'manifest_sha256'],
    [{ workflowId: 'w' }, 'workflow_id'],
    [{ jobs: [] }, 'jobs'],
    [{ jobs: Array.from({ length: 257 }, (_, i) => planned(`j${i}`)) }, 'jobs'],
    [{ jobs: [a, { ...b, key: 'build-a' }] }, 'jobs[1].key'],
    [{ jobs: [{ ...a, key: 'a b' }] }, 'jobs[0].key'],
    [{ jobs: [a, b, { ...t, needs: ['nope'] }] }, 'jobs[2].needs[0]'],
    [{ jobs: [a, b, { ...t, needs: ['deploy'] }, d] }, 'jobs[2].needs[0]'],
    [{ jobs: [a, b, { ...t, needs: ['build-a', 'build-a'] }] }, 'jobs[2].needs[1]'],
    [{ jobs: [{ ...a, needs: ['build-a'] }] }, 'jobs[0].needs[0]'],
    [{ jobs: [{ ...a, condition: 'sometimes' }] }, 'jobs[0].condition'],
    [{ jobs: [{ ...a, concurrency: 'a/b' }] }, 'jobs[0].concurrency'],
    [{ jobs: [{ ...a, runsOn: '' }] }, 'jobs[0].runs_on'],
    [{ jobs: [{ ...a, manifestId: '' }] }, 'jobs[0].manifest_id'],
    [{ jobs: [{ ...a, steps: [] }] }, 'jobs[0].steps'],
    [{ jobs: [{ ...a, steps: [run(1, 'x')] }] }, 'jobs[0].steps[0].index'],
    [{ jobs: [{ ...a, steps: [run(0, 'x'), block(1, 'late?')] }] }, 'jobs[0].steps[1].kind'],
    [{ jobs: [{ ...a, steps: [{ ...run(0, 'x'), prompt: 'why?' }] }] }, 'jobs[0].steps[0].prompt'],
    [{ jobs: [{ ...a, steps: [run(0, '')] }] }, 'jobs[0].steps[0].name'],
    [{ jobs: [{ ...a, steps: [step(0, JobStepKind.JOB_STEP_KIND_UNSPECIFIED, 'x')] }] }, 'jobs[0].steps[0].kind'],
  ];
  for (const [override, field] of cases) {
    const request = pipelineRequest(override);
    await expectStatus(pipelines.createPipeline(request), status.INVALID_ARGUMENT, { field });
    if (field !== 'id') await expectStatus(pipelines.getPipeline({ id: request.id }), status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND' });
  }
  // An empty condition is `success`.
  const { pipeline } = await pipelines.createPipeline(pipelineRequest({ jobs: [{ ...a, condition: '' }] }));
  assert.is(pipeline!.jobs[0]!.condition, 'success');
});

test('GetPipeline: unknown is NOT_FOUND, a bad id INVALID_ARGUMENT', async ({ pipelines }) => {
  await expectStatus(pipelines.getPipeline({ id: randomUUID() }), status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND' });
  await expectStatus(pipelines.getPipeline({ id: 'nope' }), status.INVALID_ARGUMENT, { field: 'id' });
});

test('ListPipelines pages newest first without jobs, filtered by state and repository', async ({ pipelines }) => {
  const repoUrl = `https://example.com/${randomUUID()}.git`;
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await pipelines.createPipeline(pipelineRequest({ repoUrl }))).pipeline!.id);
  await pipelines.createPipeline(pipelineRequest({ repoUrl: `${repoUrl}.other` }));
  await pipelines.finishPipeline({ id: ids[1]!, attempt: 1, state: PipelineState.PIPELINE_STATE_FAILED, error: 'boom' });
  await pipelines.finishPipeline({ id: ids[3]!, attempt: 1, state: PipelineState.PIPELINE_STATE_SUCCEEDED, error: '' });

  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await pipelines.listPipelines({ states: [], repoUrl, pageSize: 2, pageToken });
    assert.ok(page.pipelines.length <= 2);
    for (const p of page.pipelines) assert.equal(p.jobs, [], 'lists carry no jobs');
    seen.push(...page.pipelines.map((p) => p.id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(seen, [...ids].reverse(), 'newest first, every one once');

  const ended = await pipelines.listPipelines({ states: [PipelineState.PIPELINE_STATE_FAILED, PipelineState.PIPELINE_STATE_SUCCEEDED], repoUrl, pageSize: 0, pageToken: '' });
  assert.equal(ended.pipelines.map((p) => p.id), [ids[3], ids[1]]);
  assert.equal(ended.pipelines.map((p) => p.error), ['', 'boom']);
  const all = await pipelines.listPipelines({ states: [], repoUrl: '', pageSize: 500, pageToken: '' });
  assert.ok(all.pipelines.some((p) => p.repoUrl === `${repoUrl}.other`));

  await expectStatus(pipelines.listPipelines({ states: [], repoUrl, pageSize: 501, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'page_size' });
  await expectStatus(pipelines.listPipelines({ states: [], repoUrl, pageSize: 0, pageToken: 'garbage' }), status.INVALID_ARGUMENT, { field: 'page_token' });
  await expectStatus(pipelines.listPipelines({ states: [PipelineState.PIPELINE_STATE_UNSPECIFIED], repoUrl, pageSize: 0, pageToken: '' }),
    status.INVALID_ARGUMENT, { field: 'states[0]' });
});

test('UpdatePipelineJobs records states, reasons and runs of its attempt; unset values keep the stored ones; it marks the pipeline changed', async ({ pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  const jobRequestId = randomUUID();
  const startedAt = new Date('2030-01-01T00:00:00Z');
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [
    update('build-a', J.PIPELINE_JOB_STATE_RUNNING, { jobRequestId, runs: 1, startedAt }),
    update('deploy', J.PIPELINE_JOB_STATE_SKIPPED, { reason: 'test failed' }),
  ] });
  let p = await get(pipelines, id);
  assert.ok(p.updatedAt! > pipeline!.updatedAt!, 'updated_at moved');
  assert.equal([p.jobs[0]!.state, p.jobs[0]!.jobRequestId, p.jobs[0]!.runs, p.jobs[0]!.startedAt], [J.PIPELINE_JOB_STATE_RUNNING, jobRequestId, 1, startedAt]);
  assert.equal([p.jobs[3]!.state, p.jobs[3]!.reason], [J.PIPELINE_JOB_STATE_SKIPPED, 'test failed']);
  const finishedAt = new Date('2030-01-01T00:05:00Z');
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('build-a', J.PIPELINE_JOB_STATE_SUCCEEDED, { runs: 1, finishedAt })] });
  // The same update again is harmless.
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('build-a', J.PIPELINE_JOB_STATE_SUCCEEDED, { runs: 1, finishedAt })] });
  p = await get(pipelines, id);
  assert.equal([p.jobs[0]!.state, p.jobs[0]!.jobRequestId, p.jobs[0]!.startedAt, p.jobs[0]!.finishedAt],
    [J.PIPELINE_JOB_STATE_SUCCEEDED, jobRequestId, startedAt, finishedAt], 'unset job id and start kept');
});

test('UpdatePipelineJobs: another attempt is STALE_ATTEMPT, an unknown key NOT_FOUND naming it (nothing applied), bad input INVALID_ARGUMENT', async ({ pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  await expectStatus(pipelines.updatePipelineJobs({ pipelineId: id, attempt: 2, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING)] }),
    status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  await expectStatus(pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING), update('nope', J.PIPELINE_JOB_STATE_RUNNING)] }),
    status.NOT_FOUND, { reason: 'PIPELINE_JOB_NOT_FOUND', field: 'updates[1].key' });
  assert.is((await jobOf(pipelines, id, 'test')).state, J.PIPELINE_JOB_STATE_PENDING, 'the known key was not applied either');
  await expectStatus(pipelines.updatePipelineJobs({ pipelineId: randomUUID(), attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING)] }),
    status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND' });
  const bad: [Parameters<Pipelines['updatePipelineJobs']>[0], string][] = [
    [{ pipelineId: 'x', attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING)] }, 'pipeline_id'],
    [{ pipelineId: id, attempt: 0, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING)] }, 'attempt'],
    [{ pipelineId: id, attempt: 1, updates: [] }, 'updates'],
    [{ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_UNSPECIFIED)] }, 'updates[0].state'],
    [{ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING), update('test', J.PIPELINE_JOB_STATE_FAILED)] }, 'updates[1].key'],
    [{ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING, { jobRequestId: 'j' })] }, 'updates[0].job_request_id'],
    [{ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING, { runs: -1 })] }, 'updates[0].runs'],
  ];
  for (const [request, field] of bad) await expectStatus(pipelines.updatePipelineJobs(request), status.INVALID_ARGUMENT, { field });
});

test('FinishPipeline ends the attempt once (a repeat returns it), refuses another ending, another attempt and non-final states', async ({ pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  await expectStatus(pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_RUNNING, error: '' }), status.INVALID_ARGUMENT, { field: 'state' });
  await expectStatus(pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_UNSPECIFIED, error: '' }), status.INVALID_ARGUMENT, { field: 'state' });
  await expectStatus(pipelines.finishPipeline({ id, attempt: 2, state: PipelineState.PIPELINE_STATE_FAILED, error: '' }), status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  const finished = (await pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_CANCELLED, error: 'cancelled by ada' })).pipeline!;
  assert.equal([finished.state, finished.error, finished.jobs], [PipelineState.PIPELINE_STATE_CANCELLED, 'cancelled by ada', []]);
  assert.ok(finished.finishedAt);
  const again = (await pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_CANCELLED, error: 'other words' })).pipeline!;
  assert.equal(again, finished, 'a repeat returns the recorded end');
  await expectStatus(pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_SUCCEEDED, error: '' }), status.FAILED_PRECONDITION, { reason: 'PIPELINE_ENDED' });
  await expectStatus(pipelines.finishPipeline({ id: randomUUID(), attempt: 1, state: PipelineState.PIPELINE_STATE_FAILED, error: '' }), status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND' });
});

test('StartPipelineAttempt: compare-and-set on the ended attempt; rerun jobs PENDING, the rest and approvals kept; a repeat returns it', async ({ pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  const start = (expectedAttempt: number, workflowId: string, rerunKeys: string[]) => pipelines.startPipelineAttempt({ id, expectedAttempt, workflowId, rerunKeys });
  const w2 = randomUUID();
  await expectStatus(start(1, w2, ['test']), status.FAILED_PRECONDITION, { reason: 'PIPELINE_RUNNING' });

  const [buildRun, testRun] = [randomUUID(), randomUUID()];
  const at = new Date('2030-01-01T00:00:00Z');
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [
    update('build-a', J.PIPELINE_JOB_STATE_SUCCEEDED, { jobRequestId: buildRun, runs: 1, startedAt: at, finishedAt: at }),
    update('test', J.PIPELINE_JOB_STATE_FAILED, { reason: 'exit 1', jobRequestId: testRun, runs: 2, startedAt: at, finishedAt: at }),
    update('deploy', J.PIPELINE_JOB_STATE_SKIPPED, { reason: 'test failed' }),
  ] });
  await pipelines.recordStepApproval({ pipelineId: id, jobKey: 'deploy', stepIndex: 0, approvedBy: 'ada' });
  await pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_FAILED, error: 'test failed' });

  await expectStatus(start(2, w2, ['test']), status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  await expectStatus(start(1, w2, ['test', 'nope']), status.NOT_FOUND, { reason: 'PIPELINE_JOB_NOT_FOUND', field: 'rerun_keys[1]' });
  assert.is((await get(pipelines, id)).attempt, 1, 'a refused start changes nothing');

  const started = (await start(1, w2, ['test', 'deploy'])).pipeline!;
  assert.equal([started.state, started.attempt, started.workflowId, started.error, started.finishedAt],
    [PipelineState.PIPELINE_STATE_RUNNING, 2, w2, '', undefined]);
  const [buildA, , test2, deploy] = started.jobs;
  assert.equal([buildA!.state, buildA!.jobRequestId, buildA!.finishedAt], [J.PIPELINE_JOB_STATE_SUCCEEDED, buildRun, at], 'a job not rerun keeps its result');
  assert.equal([test2!.state, test2!.reason, test2!.jobRequestId, test2!.runs, test2!.startedAt, test2!.finishedAt],
    [J.PIPELINE_JOB_STATE_PENDING, '', testRun, 2, undefined, undefined], 'rerun: PENDING, its last run still named');
  assert.equal([deploy!.state, deploy!.reason, deploy!.steps[0]!.state, deploy!.steps[0]!.approvedBy],
    [J.PIPELINE_JOB_STATE_PENDING, '', S.JOB_STEP_STATE_SUCCEEDED, 'ada'], 'approvals stay');

  const repeated = (await start(1, w2, ['test', 'deploy'])).pipeline!;
  assert.equal(repeated, { ...started, updatedAt: repeated.updatedAt }, 'the same call again returns the attempt it started');
  assert.equal(repeated.updatedAt, started.updatedAt);
  await expectStatus(start(1, randomUUID(), ['test']), status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  await expectStatus(pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING)] }),
    status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  await expectStatus(pipelines.finishPipeline({ id, attempt: 1, state: PipelineState.PIPELINE_STATE_FAILED, error: '' }), status.FAILED_PRECONDITION, { reason: 'STALE_ATTEMPT' });
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 2, updates: [update('test', J.PIPELINE_JOB_STATE_RUNNING, { runs: 3 })] });

  const bad: [Parameters<Pipelines['startPipelineAttempt']>[0], string][] = [
    [{ id: 'x', expectedAttempt: 1, workflowId: w2, rerunKeys: ['test'] }, 'id'],
    [{ id, expectedAttempt: 0, workflowId: w2, rerunKeys: ['test'] }, 'expected_attempt'],
    [{ id, expectedAttempt: 2, workflowId: '', rerunKeys: ['test'] }, 'workflow_id'],
    [{ id, expectedAttempt: 2, workflowId: w2, rerunKeys: [] }, 'rerun_keys'],
    [{ id, expectedAttempt: 2, workflowId: w2, rerunKeys: ['a b'] }, 'rerun_keys[0]'],
  ];
  for (const [request, field] of bad) await expectStatus(pipelines.startPipelineAttempt(request), status.INVALID_ARGUMENT, { field });
  await expectStatus(pipelines.startPipelineAttempt({ id: randomUUID(), expectedAttempt: 1, workflowId: w2, rerunKeys: ['test'] }), status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND' });
});

test('RecordStepApproval: kept from before the job waits, the first approval stays, block steps RUNNING while the job is BLOCKED', async ({ pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  const approve = (stepIndex: number, approvedBy: string, jobKey = 'deploy') => pipelines.recordStepApproval({ pipelineId: id, jobKey, stepIndex, approvedBy });

  const first = await approve(1, 'ada');
  assert.is(first.approvedNow, true);
  assert.equal([first.step!.index, first.step!.kind, first.step!.state, first.step!.approvedBy, first.step!.prompt, first.step!.startedAt],
    [1, JobStepKind.JOB_STEP_KIND_BLOCK, S.JOB_STEP_STATE_SUCCEEDED, 'ada', 'Really?', undefined]);
  assert.ok(first.step!.finishedAt);
  const p1 = await get(pipelines, id);
  assert.ok(p1.updatedAt! > pipeline!.updatedAt!, 'an approval marks the pipeline changed');
  assert.equal(p1.jobs[3]!.steps[1], first.step);
  const repeat = await approve(1, 'bob');
  assert.is(repeat.approvedNow, false);
  assert.equal(repeat.step, first.step, 'the first approval is kept');
  assert.equal((await get(pipelines, id)).updatedAt, p1.updatedAt, 'a repeat changes nothing');

  // The job's needs are met: it waits for step 0 (RUNNING since it became BLOCKED).
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('deploy', J.PIPELINE_JOB_STATE_BLOCKED)] });
  const blocked = await jobOf(pipelines, id, 'deploy');
  assert.equal(blocked.steps.map((s) => s.state), [S.JOB_STEP_STATE_RUNNING, S.JOB_STEP_STATE_SUCCEEDED, S.JOB_STEP_STATE_PENDING]);
  const waitingSince = blocked.steps[0]!.startedAt!;
  assert.ok(waitingSince);
  assert.is(blocked.steps[1]!.startedAt, undefined, 'approved before the wait: no start');
  // A repeated BLOCKED update keeps the time the wait began.
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('deploy', J.PIPELINE_JOB_STATE_BLOCKED)] });
  const approved = await approve(0, 'bob');
  assert.equal([approved.approvedNow, approved.step!.state, approved.step!.approvedBy, approved.step!.startedAt],
    [true, S.JOB_STEP_STATE_SUCCEEDED, 'bob', waitingSince]);
  assert.ok(approved.step!.finishedAt! >= waitingSince);

  await expectStatus(approve(2, 'ada'), status.FAILED_PRECONDITION, { reason: 'NOT_A_BLOCK_STEP' });
  await expectStatus(approve(3, 'ada'), status.NOT_FOUND, { reason: 'STEP_NOT_FOUND', field: 'step_index' });
  await expectStatus(approve(0, 'ada', 'nope'), status.NOT_FOUND, { reason: 'PIPELINE_JOB_NOT_FOUND', field: 'job_key' });
  await expectStatus(pipelines.recordStepApproval({ pipelineId: randomUUID(), jobKey: 'deploy', stepIndex: 0, approvedBy: 'ada' }),
    status.NOT_FOUND, { reason: 'PIPELINE_NOT_FOUND', field: 'pipeline_id' });
  await expectStatus(approve(0, ''), status.INVALID_ARGUMENT, { field: 'approved_by' });
  await expectStatus(approve(-1, 'ada'), status.INVALID_ARGUMENT, { field: 'step_index' });
  await expectStatus(pipelines.recordStepApproval({ pipelineId: 'p', jobKey: 'deploy', stepIndex: 0, approvedBy: 'ada' }), status.INVALID_ARGUMENT, { field: 'pipeline_id' });
});

test('GetPipeline merges the run steps of each job\'s current run (PENDING where none is recorded)', async ({ p, pipelines }) => {
  const { pipeline } = await pipelines.createPipeline(pipelineRequest());
  const id = pipeline!.id;
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: id, pipelineJobKey: 'build-a' });
  await pipelines.updatePipelineJobs({ pipelineId: id, attempt: 1, updates: [update('build-a', J.PIPELINE_JOB_STATE_RUNNING, { jobRequestId: spec.requestId, runs: 1 })] });
  const startedAt = new Date('2030-01-01T00:00:00.250Z');
  await p.clients.jobs.recordJobSteps({ requestId: spec.requestId, steps: [
    { ...run(0, 'build'), state: S.JOB_STEP_STATE_SUCCEEDED, exitCode: 0, startedAt, finishedAt: startedAt, startSeq: 0, startOffset: 0, endSeq: 2, endOffset: 9, hasStart: true, hasEnd: true },
    { ...run(1, 'test'), state: S.JOB_STEP_STATE_RUNNING, startedAt, startSeq: 2, startOffset: 9, hasStart: true },
  ] });
  const got = await get(pipelines, id);
  const [build, tests] = got.jobs[0]!.steps;
  assert.equal([build!.state, build!.exitCode, build!.startedAt, build!.endSeq, build!.endOffset], [S.JOB_STEP_STATE_SUCCEEDED, 0, startedAt, 2, 9]);
  assert.equal([tests!.state, tests!.exitCode, tests!.startSeq, tests!.startOffset, tests!.finishedAt], [S.JOB_STEP_STATE_RUNNING, undefined, 2, 9, undefined]);
  assert.equal(got.jobs[1]!.steps.map((s) => s.state), [S.JOB_STEP_STATE_PENDING, S.JOB_STEP_STATE_PENDING], 'a job that has not run');
  assert.ok(got.updatedAt! > pipeline!.updatedAt!);
});

test.run();
