import { randomUUID } from 'node:crypto';
import { ArtifactWhen, JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence jobs');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

test('CreateJob stores a queued job with its creation event, and is idempotent by request_id', async ({ p }) => {
  const spec = jobSpec();
  const first = await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  assert.is(first.created, true);
  assert.is(first.job!.state, JobState.JOB_STATE_QUEUED);
  assert.equal(first.job!.spec, spec);
  assert.ok(first.job!.createdAt instanceof Date);
  const again = await p.clients.jobs.createJob({ spec: { ...spec, env: { ...spec.env } }, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  assert.is(again.created, false);
  assert.is(again.job!.lastEventSequence, first.job!.lastEventSequence);
  const { events } = await p.clients.jobs.listJobEvents({ requestId: spec.requestId, afterSequence: 0, pageSize: 0 });
  assert.is(events.length, 1);
  assert.is(events[0]!.toState, JobState.JOB_STATE_QUEUED);
  assert.is(events[0]!.fromState, JobState.JOB_STATE_UNSPECIFIED);
});

test('CreateJob with the same request_id but another spec is ALREADY_EXISTS and changes nothing', async ({ p }) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  await expectStatus(p.clients.jobs.createJob({ spec: { ...spec, script: 'rm -rf /' }, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }),
    status.ALREADY_EXISTS, { reason: 'JOB_CONFLICT' });
  const { job } = await p.clients.jobs.getJob({ requestId: spec.requestId });
  assert.is(job!.spec!.script, spec.script);
});

test('CreateJob refuses bad input naming the field, and writes nothing', async ({ p }) => {
  const before = (await p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' })).jobs.length;
  const cases: [Partial<ReturnType<typeof jobSpec>>, string][] = [
    [{ requestId: 'not-a-uuid' }, 'spec.request_id'],
    [{ requestId: '' }, 'spec.request_id'],
    [{ commitSha: 'xyz' }, 'spec.commit_sha'],
    [{ commitSha: 'A'.repeat(40) }, 'spec.commit_sha'],
    [{ repoUrl: '' }, 'spec.repo_url'],
    [{ repoUrl: 'ftp://example.com/x' }, 'spec.repo_url'],
    [{ repoUrl: 'https://example.com/' + 'x'.repeat(3000) }, 'spec.repo_url'],
    [{ runsOn: '' }, 'spec.runs_on'],
    [{ runsOn: 'has space' }, 'spec.runs_on'],
    [{ timeoutMs: -1 }, 'spec.timeout_ms'],
    [{ script: 'echo \0' }, 'spec.script'],
  ];
  for (const [override, field] of cases) {
    await expectStatus(p.clients.jobs.createJob({ spec: jobSpec(override), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }), status.INVALID_ARGUMENT, { field });
  }
  await expectStatus(p.clients.jobs.createJob({ spec: undefined, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }), status.INVALID_ARGUMENT, { field: 'spec' });
  await expectStatus(p.clients.jobs.createJob({ spec: jobSpec(), workflowId: 'nope', traceId: '', pipelineId: '', pipelineJobKey: '' }), status.INVALID_ARGUMENT, { field: 'workflow_id' });
  const after = (await p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' })).jobs.length;
  assert.is(after, before);
});

test('artifact_when round-trips; UNSPECIFIED is stored as ON_SUCCESS and a repeat must match it', async ({ p }) => {
  for (const when of [ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS, ArtifactWhen.ARTIFACT_WHEN_ON_FAILURE, ArtifactWhen.ARTIFACT_WHEN_ALWAYS]) {
    const spec = jobSpec({ artifactWhen: when });
    const { job } = await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
    assert.is(job!.spec!.artifactWhen, when);
    assert.is(job!.artifactManifest, '');
    assert.is((await p.clients.jobs.getJob({ requestId: spec.requestId })).job!.spec!.artifactWhen, when);
  }
  const unset = jobSpec({ artifactWhen: ArtifactWhen.ARTIFACT_WHEN_UNSPECIFIED });
  const created = await p.clients.jobs.createJob({ spec: unset, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  assert.is(created.job!.spec!.artifactWhen, ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS);
  const same = await p.clients.jobs.createJob({ spec: { ...unset, artifactWhen: ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS }, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  assert.is(same.created, false);
  assert.is((await p.clients.jobs.createJob({ spec: unset, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' })).created, false);
  await expectStatus(p.clients.jobs.createJob({ spec: { ...unset, artifactWhen: ArtifactWhen.ARTIFACT_WHEN_ALWAYS }, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }),
    status.ALREADY_EXISTS, { reason: 'JOB_CONFLICT' });
  await expectStatus(p.clients.jobs.createJob({ spec: jobSpec({ artifactWhen: 99 as ArtifactWhen }), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }),
    status.INVALID_ARGUMENT, { field: 'spec.artifact_when' });
  const { jobs } = await p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' });
  assert.ok(jobs.some((j) => j.spec!.artifactWhen === ArtifactWhen.ARTIFACT_WHEN_ON_FAILURE));
});

test('GetJob and UpdateJobLinks of an unknown job are NOT_FOUND; bad ids INVALID_ARGUMENT', async ({ p }) => {
  await expectStatus(p.clients.jobs.getJob({ requestId: randomUUID() }), status.NOT_FOUND, { reason: 'JOB_NOT_FOUND' });
  await expectStatus(p.clients.jobs.getJob({ requestId: '123' }), status.INVALID_ARGUMENT, { field: 'request_id' });
  await expectStatus(p.clients.jobs.updateJobLinks({ requestId: randomUUID(), workflowId: '', traceId: 'abc' }), status.NOT_FOUND);
  await expectStatus(p.clients.jobs.listJobEvents({ requestId: randomUUID(), afterSequence: 0, pageSize: 0 }), status.NOT_FOUND);
});

test('UpdateJobLinks sets workflow and trace ids', async ({ p }) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const workflowId = randomUUID();
  const { job } = await p.clients.jobs.updateJobLinks({ requestId: spec.requestId, workflowId, traceId: 'f'.repeat(32) });
  assert.is(job!.workflowId, workflowId);
  assert.is(job!.traceId, 'f'.repeat(32));
});

test('TransitionJob moves through states, records events, stamps start, finish and exit code', async ({ p }) => {
  const spec = jobSpec();
  const created = await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const t = (from: number, to: number, extra: { exitCode?: number; error?: string } = {}) =>
    p.clients.jobs.transitionJob({ requestId: spec.requestId, expectedState: from as never, newState: to as never, message: `to ${to}`, error: '', ...extra });
  const preparing = await t(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PREPARING);
  assert.ok(preparing.job!.startedAt);
  assert.ok(preparing.event!.sequence > created.job!.lastEventSequence);
  assert.ok(preparing.job!.updatedAt!.getTime() >= created.job!.updatedAt!.getTime());
  await t(JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING);
  const done = await t(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_FAILED, { exitCode: 3, error: 'exit 3' });
  assert.is(done.job!.state, JobState.JOB_STATE_FAILED);
  assert.is(done.job!.exitCode, 3);
  assert.is(done.job!.error, 'exit 3');
  assert.ok(done.job!.finishedAt);
  const { events } = await p.clients.jobs.listJobEvents({ requestId: spec.requestId, afterSequence: 0, pageSize: 0 });
  assert.equal(events.map((e) => e.toState), [JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_FAILED]);
  const later = await p.clients.jobs.listJobEvents({ requestId: spec.requestId, afterSequence: events[1]!.sequence, pageSize: 0 });
  assert.is(later.events.length, 2);
  await expectStatus(t(JobState.JOB_STATE_FAILED, JobState.JOB_STATE_RUNNING), status.FAILED_PRECONDITION, { reason: 'TERMINAL_STATE' });
});

test('TransitionJob is compare-and-set: of 10 racing writers exactly one wins', async ({ p }) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const targets = [JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_CANCELLED];
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) =>
    p.clients.jobs.transitionJob({ requestId: spec.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: targets[i % 2]!, message: `writer ${i}`, error: '' })));
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.is(won.length, 1);
  assert.is(lost.length, 9);
  for (const r of lost) {
    assert.is(r.reason.code, status.FAILED_PRECONDITION);
    assert.is(r.reason.reason, 'STATE_MISMATCH');
  }
  const { events } = await p.clients.jobs.listJobEvents({ requestId: spec.requestId, afterSequence: 0, pageSize: 0 });
  assert.is(events.length, 2);
});

test('TransitionJob refuses unknown enums, same-state moves and unknown jobs', async ({ p }) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const base = { requestId: spec.requestId, message: '', error: '' };
  await expectStatus(p.clients.jobs.transitionJob({ ...base, expectedState: JobState.JOB_STATE_QUEUED, newState: 99 as never }), status.INVALID_ARGUMENT, { field: 'new_state' });
  await expectStatus(p.clients.jobs.transitionJob({ ...base, expectedState: JobState.JOB_STATE_UNSPECIFIED, newState: JobState.JOB_STATE_RUNNING }), status.INVALID_ARGUMENT, { field: 'expected_state' });
  await expectStatus(p.clients.jobs.transitionJob({ ...base, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_QUEUED }), status.INVALID_ARGUMENT, { field: 'new_state' });
  await expectStatus(p.clients.jobs.transitionJob({ ...base, requestId: randomUUID(), expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_RUNNING }), status.NOT_FOUND);
  await expectStatus(p.clients.jobs.transitionJob({ ...base, expectedState: JobState.JOB_STATE_RUNNING, newState: JobState.JOB_STATE_SUCCEEDED }), status.FAILED_PRECONDITION, { reason: 'STATE_MISMATCH' });
  const { job } = await p.clients.jobs.getJob({ requestId: spec.requestId });
  assert.is(job!.state, JobState.JOB_STATE_QUEUED);
});

test('ListJobs filters by state, label and repo, and pages with a cursor without gaps or repeats', async ({ p }) => {
  const label = `label-${randomUUID().slice(0, 8)}`;
  const ids = new Set<string>();
  for (let i = 0; i < 7; i++) {
    const spec = jobSpec({ runsOn: label, repoUrl: i % 2 ? 'https://example.com/a.git' : 'git@example.com:b.git' });
    ids.add(spec.requestId);
    await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
    if (i === 0) await p.clients.jobs.transitionJob({ requestId: spec.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_CANCELLED, message: '', error: '' });
  }
  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await p.clients.jobs.listJobs({ states: [], runsOn: label, repoUrl: '', pageSize: 3, pageToken });
    assert.ok(page.jobs.length <= 3);
    seen.push(...page.jobs.map((j) => j.spec!.requestId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.is(seen.length, 7);
  assert.equal(new Set(seen), ids);
  const cancelled = await p.clients.jobs.listJobs({ states: [JobState.JOB_STATE_CANCELLED], runsOn: label, repoUrl: '', pageSize: 0, pageToken: '' });
  assert.is(cancelled.jobs.length, 1);
  const byRepo = await p.clients.jobs.listJobs({ states: [], runsOn: label, repoUrl: 'https://example.com/a.git', pageSize: 0, pageToken: '' });
  assert.is(byRepo.jobs.length, 3);
  await expectStatus(p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 0, pageToken: 'garbage!' }), status.INVALID_ARGUMENT, { field: 'page_token' });
  await expectStatus(p.clients.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 501, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'page_size' });
  await expectStatus(p.clients.jobs.listJobs({ states: [42 as never], runsOn: '', repoUrl: '', pageSize: 0, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'states[0]' });
});

test('WatchJobEvents sends past events, then each transition as it happens, and ends with the job', async ({ p }) => {
  const spec = jobSpec();
  await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const seen: number[] = [];
  const watching = (async () => {
    for await (const m of p.clients.jobs.watchJobEvents({ requestId: spec.requestId, afterSequence: 0 })) {
      seen.push(...m.events.map((e) => e.toState));
      if (m.job) assert.is(m.job.state, m.events.at(-1)!.toState);
    }
  })();
  const move = (from: JobState, to: JobState) => p.clients.jobs.transitionJob({ requestId: spec.requestId, expectedState: from, newState: to, message: '', error: '' });
  await withDeadline((async () => { while (seen.length < 1) await new Promise((r) => setTimeout(r, 5)); })(), 5000, 'creation event');
  await move(JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING);
  await move(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED);
  await withDeadline(watching, 5000, 'watch ends with the job');
  assert.equal(seen, [JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED]);
  await expectStatus((async () => { for await (const _ of p.clients.jobs.watchJobEvents({ requestId: randomUUID(), afterSequence: 0 })) { /* none */ } })(), status.NOT_FOUND);
});

test('GetQueuePosition counts the queued jobs of the same label created earlier', async ({ p }) => {
  const label = `fifo-${randomUUID().slice(0, 8)}`;
  const specs = [jobSpec({ runsOn: label }), jobSpec({ runsOn: label }), jobSpec({ runsOn: label }), jobSpec({ runsOn: 'other' })];
  for (const spec of specs) await p.clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const position = async (i: number) => (await p.clients.jobs.getQueuePosition({ requestId: specs[i]!.requestId })).jobsAhead;
  assert.equal([await position(0), await position(1), await position(2)], [0, 1, 2]);
  await p.clients.jobs.transitionJob({ requestId: specs[0]!.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_PREPARING, message: '', error: '' });
  assert.equal([await position(1), await position(2)], [0, 1]);
  await expectStatus(p.clients.jobs.getQueuePosition({ requestId: randomUUID() }), status.NOT_FOUND);
  await expectStatus(p.clients.jobs.getQueuePosition({ requestId: 'x' }), status.INVALID_ARGUMENT, { field: 'request_id' });
});

test.run();
