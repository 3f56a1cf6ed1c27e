import { JobState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { createReflectionClient, expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { randomUUID } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { downloadArtifact, makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string } }>('run-job end to end (four real services, process backend)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'hello.txt': 'hello from the repo\n', 'build.sh': 'mkdir -p out && cp hello.txt out/result.txt\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const terminal = new Set<number>([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_TIMED_OUT]);
async function waitForEnd(mesh: TestMesh, requestId: string, ms = 60_000) {
  return withDeadline((async () => {
    for (;;) {
      const { job } = await mesh.api.jobs.getJob({ requestId });
      if (terminal.has(job!.state)) return job!;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), ms, `job ${requestId} ends`);
}
const submit = (ctx: { mesh: TestMesh; repo: { url: string; commit: string } }, script: string, extra: Record<string, unknown> = {}) =>
  ctx.mesh.api.jobs.submitJob({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script, env: { GREETING: 'hi' }, secretEnv: {}, timeoutMs: 60_000, artifactPatterns: [], artifactWhen: 0, requestId: '', ...extra });

test('a job succeeds: checkout, VM, exec with its log, artifacts, clean-up', async (ctx) => {
  const { job } = await submit(ctx, 'cat hello.txt; echo "$GREETING"; echo oops >&2; sh build.sh', { artifactPatterns: ['out/**'] });
  assert.ok(job!.traceId, 'the job carries its trace id');
  const followed: string[] = [];
  const following = (async () => {
    for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId: job!.requestId, fromOffset: 0, follow: true })) {
      followed.push(`${chunk.stream}:${Buffer.from(chunk.data).toString()}`);
    }
  })();
  const done = await waitForEnd(ctx.mesh, job!.requestId);
  await withDeadline(following, 10_000, 'follow ends with the job');
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  assert.is(done.exitCode, 0);
  const stdout = followed.filter((l) => l.startsWith(`${LogStream.LOG_STREAM_STDOUT}:`)).map((l) => l.slice(2)).join('');
  assert.match(stdout, /hello from the repo/);
  assert.match(stdout, /hi/);
  assert.ok(followed.some((l) => l.startsWith(`${LogStream.LOG_STREAM_STDERR}:`) && l.includes('oops')));
  const read: string[] = [];
  for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId: job!.requestId, fromOffset: 0, follow: false })) read.push(Buffer.from(chunk.data).toString());
  assert.match(read.join(''), /hello from the repo/);
  // The job is final inside job.finish, before that step's checkpoint: wait for the operation to record it.
  const names = await withDeadline((async () => {
    for (;;) {
      const { operation } = await ctx.mesh.api.operations.getOperation({ id: job!.requestId });
      const recorded = operation!.steps.map((s) => s.name);
      if (recorded.includes('job.finish')) return recorded;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), 30_000, 'job.finish recorded');
  for (const step of ['schedule.take-slot', 'vm.boot', 'vm.exec', 'vm.collect-outputs', 'fs.collect-artifacts', 'job.record-artifacts', 'job.clean-up', 'job.finish']) assert.ok(names.includes(step), `${step} ran`);
  // The artifact the job wrote comes back with its content (not just a step name).
  const { artifacts } = await ctx.mesh.api.artifacts.listArtifacts({ requestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.equal(artifacts.map((a) => a.path), ['out/result.txt']);
  assert.is((await downloadArtifact(ctx.mesh.api.artifacts, job!.requestId, 'out/result.txt')).data.toString(), 'hello from the repo\n');
  const { vms } = await ctx.mesh.api.vms.listVms({ states: [], jobRequestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.is(vms.length, 1);
  assert.is(vms[0]!.state, 8 /* destroyed */);
});

test('WatchJob streams every state change from a given event to the end; ListJobs and ListOperations page', async (ctx) => {
  const { job } = await submit(ctx, 'sleep 0.5; echo watched');
  const seen: number[] = [];
  for await (const change of ctx.mesh.api.jobs.watchJob({ requestId: job!.requestId, afterSequence: 1 })) {
    seen.push(change.change!.toState);
    if (change.job) assert.is(change.job.state, change.change!.toState);
  }
  // No artifact patterns: the job never enters COLLECTING.
  assert.equal(seen.slice(-3), [JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED]);
  const page = await ctx.mesh.api.jobs.listJobs({ states: [JobState.JOB_STATE_SUCCEEDED], runsOn: 'local', repoUrl: '', pageSize: 1, pageToken: '' });
  assert.is(page.jobs.length, 1);
  assert.ok(page.nextPageToken);
  const ops = await ctx.mesh.api.operations.listOperations({ statuses: [], pageSize: 2, pageToken: '' });
  assert.is(ops.operations.length, 2);
  assert.ok(ops.operations.every((op) => op.name === 'jobmesh.orchestrator/run-job'));
  await expectStatus(ctx.mesh.api.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 0, pageToken: 'bogus' }), status.INVALID_ARGUMENT, { field: 'page_token' });
  await expectStatus((async () => { for await (const _ of ctx.mesh.api.jobs.watchJob({ requestId: 'nope', afterSequence: 0 })) { /* none */ } })(), status.INVALID_ARGUMENT, { field: 'request_id' });
});

test('a failing job ends failed with its exit code', async (ctx) => {
  const { job } = await submit(ctx, 'echo about to fail; exit 3');
  const done = await waitForEnd(ctx.mesh, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_FAILED);
  assert.is(done.exitCode, 3);
});

test('a job past its timeout ends timed_out and its VM is destroyed', async (ctx) => {
  const { job } = await submit(ctx, 'echo start; sleep 30', { timeoutMs: 1500 });
  const done = await waitForEnd(ctx.mesh, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_TIMED_OUT);
  const { vms } = await ctx.mesh.api.vms.listVms({ states: [], jobRequestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.ok(vms.every((vm) => vm.state === 8), 'VM destroyed');
});

test('a cancel during exec destroys the VM and ends the job cancelled', async (ctx) => {
  const { job } = await submit(ctx, 'echo running; sleep 30; echo never');
  await withDeadline((async () => {
    for (;;) {
      const { job: current } = await ctx.mesh.api.jobs.getJob({ requestId: job!.requestId });
      if (current!.state === JobState.JOB_STATE_RUNNING) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(), 30_000, 'running');
  await ctx.mesh.api.jobs.cancelJob({ requestId: job!.requestId, reason: 'test' });
  const done = await waitForEnd(ctx.mesh, job!.requestId);
  assert.is(done.state, JobState.JOB_STATE_CANCELLED);
  const { vms } = await ctx.mesh.api.vms.listVms({ states: [], jobRequestId: job!.requestId, pageSize: 0, pageToken: '' });
  assert.ok(vms.length === 1 && vms[0]!.state === 8, 'VM destroyed');
});

test('the queue drains first in, first out when slots free up', async (ctx) => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await submit(ctx, `echo job ${i}; sleep 0.5`)).job!.requestId);
  const ends = await Promise.all(ids.map((id) => waitForEnd(ctx.mesh, id, 120_000)));
  assert.ok(ends.every((j) => j.state === JobState.JOB_STATE_SUCCEEDED));
});

test('SubmitJob refuses bad input naming the field, and an unknown label listing the known ones', async (ctx) => {
  const base = { repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script: 'true', env: {}, secretEnv: {}, timeoutMs: 0, artifactPatterns: [], artifactWhen: 0 as const, requestId: '' };
  const cases: [Record<string, unknown>, string][] = [
    [{ repoUrl: 'ftp://x/y' }, 'repo_url'], [{ commitSha: 'abc' }, 'commit_sha'], [{ runsOn: '' }, 'runs_on'],
    [{ script: ' ' }, 'script'], [{ timeoutMs: -5 }, 'timeout_ms'], [{ requestId: 'nope' }, 'request_id'],
    [{ artifactPatterns: ['../etc/passwd'] }, 'artifact_patterns[0]'], [{ env: { 'BAD-KEY': 'x' } }, 'env'],
  ];
  for (const [override, field] of cases) await expectStatus(ctx.mesh.api.jobs.submitJob({ ...base, ...override }), status.INVALID_ARGUMENT, { field });
  const unknown = await expectStatus(ctx.mesh.api.jobs.submitJob({ ...base, runsOn: 'gpu-9000' }), status.INVALID_ARGUMENT, { field: 'runs_on' });
  assert.match(unknown.message, /local/);
  await expectStatus(ctx.mesh.api.jobs.getJob({ requestId: randomUUID() }), status.NOT_FOUND);
  await expectStatus(ctx.mesh.api.jobs.cancelJob({ requestId: randomUUID(), reason: '' }), status.NOT_FOUND);
  await expectStatus(ctx.mesh.api.operations.getOperation({ id: 'x' }), status.INVALID_ARGUMENT, { field: 'id' });
});

test('SubmitJob with a request_id is idempotent; a conflicting one is ALREADY_EXISTS', async (ctx) => {
  const requestId = randomUUID();
  const first = await submit(ctx, 'true', { requestId });
  const again = await submit(ctx, 'true', { requestId });
  assert.is(again.job!.requestId, first.job!.requestId);
  await expectStatus(submit(ctx, 'false', { requestId }), status.ALREADY_EXISTS);
  await waitForEnd(ctx.mesh, requestId);
});

test('a reflection-only client (as grpcurl) lists, describes and calls the public API with JSON', async (ctx) => {
  const reflection = createReflectionClient(ctx.mesh.address.orchestrator);
  try {
    const services = await withDeadline(reflection.listServices(), 5000, 'list');
    for (const name of ['jobmesh.orchestrator.v1.JobService', 'jobmesh.orchestrator.v1.OperationService', 'jobmesh.orchestrator.v1.VmService', 'jobmesh.orchestrator.v1.PipelineService', 'grpc.health.v1.Health']) {
      assert.ok(services.includes(name), `${name} listed`);
      const described = await reflection.describe(name);
      assert.is(described.descriptor.kind, 'service');
    }
    assert.ok((await reflection.describe('jobmesh.orchestrator.v1.SubmitJobRequest')).leadingComment);
    assert.equal(await reflection.invokeUnary('grpc.health.v1.Health/Check', {}), { status: 'SERVING' });
    const submitted = await reflection.invokeUnary('jobmesh.orchestrator.v1.JobService/SubmitJob', {
      repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, runsOn: 'local', script: 'echo through reflection', env: { A: 'b' },
    }) as { job: { requestId: string; state: string; env: Record<string, string> } };
    assert.is(submitted.job.state, 'JOB_STATE_QUEUED');
    assert.equal(submitted.job.env, { A: 'b' });
    const got = await reflection.invokeUnary('jobmesh.orchestrator.v1.JobService/GetJob', { requestId: submitted.job.requestId }) as { job: { requestId: string } };
    assert.is(got.job.requestId, submitted.job.requestId);
    const done = await waitForEnd(ctx.mesh, submitted.job.requestId);
    assert.is(done.state, JobState.JOB_STATE_SUCCEEDED);
    const logs = await reflection.invokeServerStream('jobmesh.orchestrator.v1.JobService/StreamJobLogs', { requestId: submitted.job.requestId }) as { data: string }[];
    assert.match(logs.map((l) => Buffer.from(l.data, 'base64').toString()).join(''), /through reflection/);
  } finally {
    reflection.close();
  }
});

test.run();
