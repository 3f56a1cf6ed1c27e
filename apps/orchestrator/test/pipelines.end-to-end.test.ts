import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobStepState, PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForPipeline, type TestMesh } from './support/index.ts';

// A 2×2 matrix build (each writes an artifact and a marker per run, b/22 fails when FAIL_B22 is
// set), a test that reads every build's artifact, and a deploy behind a block step.
const manifest = `
jobs:
  build:
    runs_on: local
    matrix:
      os: [a, b]
      node: [20, 22]
    artifacts:
      paths: [out/**]
    steps:
      - name: compile
        run: |
          mkdir -p out
          echo "built \${{ matrix.os }}-\${{ matrix.node }}" > out/build.txt
          echo "start $(date +%s%N)" >> "$MARKERS/build-$JOBMESH_MATRIX_OS-$JOBMESH_MATRIX_NODE"
          sleep 1
          echo "end $(date +%s%N)" >> "$MARKERS/build-$JOBMESH_MATRIX_OS-$JOBMESH_MATRIX_NODE"
          if [ -n "$FAIL_B22" ] && [ "$JOBMESH_MATRIX_OS$JOBMESH_MATRIX_NODE" = b22 ]; then echo "b22 breaks" >&2; exit 7; fi
      - name: check
        run: echo "checked $(cat out/build.txt)"
  test:
    runs_on: local
    needs: [build]
    steps:
      - name: read artifacts
        run: |
          ls .jobmesh/needs
          cat .jobmesh/needs/*/out/build.txt
  deploy:
    runs_on: local
    needs: [test]
    steps:
      - block: Ship it?
      - name: ship
        run: echo shipped
`;

const grouped = `
jobs:
  deploy:
    runs_on: local
    concurrency: prod
    steps:
      - run: |
          echo "start $(date +%s%N)" >> "$MARKERS/group-$PIPE"
          sleep 1
          echo "end $(date +%s%N)" >> "$MARKERS/group-$PIPE"
`;

const slow = `
jobs:
  first:
    runs_on: local
    steps:
      - run: sleep 30
  second:
    runs_on: local
    needs: [first]
    steps:
      - run: echo never
`;

// One mistake per job (19 problems), and a manifest whose label and secret the mesh does not have.
const mistakes = `jobs:
  unknown-key:
    runs_on: local
    stepz: []
    steps: [{ run: make }]
  no-runs-on:
    steps: [{ run: make }]
  no-steps:
    runs_on: local
  both:
    runs_on: local
    steps:
      - run: make
        block: Ship?
  neither:
    runs_on: local
    steps:
      - name: lonely
  not-string:
    runs_on: local
    steps: [{ run: [make] }]
  twice:
    runs_on: local
    steps: [{ name: x, run: a }, { name: x, run: b }]
  late-block:
    runs_on: local
    steps: [{ run: make }, { block: Ship? }]
  only-block:
    runs_on: local
    steps: [{ block: Ship? }]
  unknown-need:
    runs_on: local
    needs: [nowhere]
    steps: [{ run: make }]
  self-need:
    runs_on: local
    needs: [self-need]
    steps: [{ run: make }]
  bad-if:
    runs_on: local
    if: sometimes()
    steps: [{ run: make }]
  bad-timeout:
    runs_on: local
    timeout: forever
    steps: [{ run: make }]
  bad-retry:
    runs_on: local
    retry: 99
    steps: [{ run: make }]
  bad-env:
    runs_on: local
    env: { 1BAD: x }
    steps: [{ run: make }]
  escape:
    runs_on: local
    artifacts: { paths: [../secrets] }
    steps: [{ run: make }]
  no-matrix:
    runs_on: local
    steps: [{ run: "echo \${{ matrix.os }}" }]
  bad-when:
    runs_on: local
    artifacts: { paths: [out/**], when: sometimes }
    steps: [{ run: make }]
`;
const unknowns = `
jobs:
  wrong-label:
    runs_on: nowhere
    secret_env: [TOKEN]
    steps: [{ run: make }]
`;

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string }; markers: string };
const test = suite<Ctx>('pipelines from the repository: matrix, needs with artifacts, block steps, retry, concurrency (process backend, public API)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ '.jobmesh.yml': manifest, 'grouped.yml': grouped, 'slow.yml': slow, 'mistakes.yml': mistakes, 'unknowns.yml': unknowns });
  ctx.markers = join(ctx.mesh.dataDir, 'markers');
  await mkdir(ctx.markers, { recursive: true });
});
test.after(async (ctx) => ctx.mesh?.stop());

const submit = (ctx: Ctx, extra: { manifestPath?: string; env?: Record<string, string>; secretEnv?: Record<string, string> } = {}) =>
  ctx.mesh.api.pipelines.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: extra.manifestPath ?? '', env: { MARKERS: ctx.markers, ...extra.env }, secretEnv: extra.secretEnv ?? {}, requestId: '' });

async function logOf(ctx: Ctx, requestId: string, step?: number, fromOffset = 0): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId, fromOffset, follow: false, step })) parts.push(Buffer.from(chunk.data).toString());
  return parts.join('');
}

/** [start, end] in ns of each run recorded in a marker file. */
async function runsOf(file: string): Promise<Array<[bigint, bigint]>> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
  const runs: Array<[bigint, bigint]> = [];
  for (let i = 0; i + 1 < lines.length; i += 2) runs.push([BigInt(lines[i]!.split(' ')[1]!), BigInt(lines[i + 1]!.split(' ')[1]!)]);
  return runs;
}

/** Most intervals open at once. */
function maxOverlap(intervals: Array<[bigint, bigint]>): number {
  const points = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as Array<[bigint, number]>).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
  let open = 0;
  let most = 0;
  for (const [, d] of points) most = Math.max(most, (open += d));
  return most;
}

const jobState = (p: { jobs: Array<{ key: string; state: number }> }, key: string) => p.jobs.find((j) => j.key === key)!.state;

test('matrix builds run within the slots, test reads every artifact, deploy waits at its block step until ApproveStep', async (ctx) => {
  const { pipeline } = await submit(ctx);
  assert.equal(pipeline!.jobs.map((j) => j.key), ['build-a-20', 'build-a-22', 'build-b-20', 'build-b-22', 'test', 'deploy']);
  assert.is(pipeline!.jobs[0]!.name, 'build (os=a, node=20)');
  const blocked = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id, (p) => jobState(p, 'deploy') === PipelineJobState.PIPELINE_JOB_STATE_BLOCKED || p.state !== PipelineState.PIPELINE_STATE_RUNNING);
  assert.is(jobState(blocked, 'deploy'), PipelineJobState.PIPELINE_JOB_STATE_BLOCKED, JSON.stringify(blocked.jobs.map((j) => [j.key, j.state, j.reason])));
  assert.is(blocked.state, PipelineState.PIPELINE_STATE_RUNNING);
  for (const key of ['build-a-20', 'build-a-22', 'build-b-20', 'build-b-22', 'test']) assert.is(jobState(blocked, key), PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED, key);
  // At most the label's 2 slots ran builds at once.
  const builds = await Promise.all(['a-20', 'a-22', 'b-20', 'b-22'].map((k) => runsOf(join(ctx.markers, `build-${k}`))));
  assert.ok(builds.every((runs) => runs.length === 1), 'each build ran once');
  assert.ok(maxOverlap(builds.flat()) <= 2, `at most 2 builds at once, saw ${maxOverlap(builds.flat())}`);
  // test saw every build's artifact under .jobmesh/needs/<key>/.
  const testJob = blocked.jobs.find((j) => j.key === 'test')!;
  const testLog = await logOf(ctx, testJob.jobRequestId);
  for (const k of ['a-20', 'a-22', 'b-20', 'b-22']) {
    assert.match(testLog, `build-${k}\n`);
    assert.match(testLog, `built ${k}\n`);
  }
  // Steps: names, exit codes, durations; one step's part of the log; markers never in the log.
  const build = blocked.jobs.find((j) => j.key === 'build-b-22')!;
  assert.equal(build.steps.map((s) => [s.name, s.state, s.exitCode]), [['compile', JobStepState.JOB_STEP_STATE_SUCCEEDED, 0], ['check', JobStepState.JOB_STEP_STATE_SUCCEEDED, 0]]);
  assert.ok(build.steps[0]!.finishedAt!.getTime() - build.steps[0]!.startedAt!.getTime() >= 900, 'compile took its second');
  assert.is(await logOf(ctx, build.jobRequestId, 1), 'checked built b-22\n');
  assert.is(await logOf(ctx, build.jobRequestId, 0), '');
  assert.is(await logOf(ctx, build.jobRequestId, 1, build.steps[1]!.logOffset + 1000), '', 'from_offset past the step: nothing');
  assert.not.match(await logOf(ctx, build.jobRequestId), 'jobmesh-step');
  const { job: buildJob } = await ctx.mesh.api.jobs.getJob({ requestId: build.jobRequestId });
  assert.is(buildJob!.pipelineId, pipeline!.id);
  assert.equal(buildJob!.steps.map((s) => s.name), ['compile', 'check']);
  // deploy shows its block step waiting; ApproveStep lets it run.
  const deploy = blocked.jobs.find((j) => j.key === 'deploy')!;
  assert.equal(deploy.steps.map((s) => [s.name, s.state]), [['Ship it?', JobStepState.JOB_STEP_STATE_RUNNING], ['ship', JobStepState.JOB_STEP_STATE_PENDING]]);
  assert.is(deploy.jobRequestId, '', 'no job (and no VM) while it waits');
  const approved = await ctx.mesh.api.pipelines.approveStep({ pipelineId: pipeline!.id, jobKey: 'deploy', step: 'Ship it?' });
  assert.is(approved.approvedNow, true);
  assert.is((await ctx.mesh.api.pipelines.approveStep({ pipelineId: pipeline!.id, jobKey: 'deploy', step: '0' })).approvedNow, false, 'a repeat changes nothing');
  const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id);
  assert.is(done.state, PipelineState.PIPELINE_STATE_SUCCEEDED, done.error);
  const shipped = done.jobs.find((j) => j.key === 'deploy')!;
  assert.is(await logOf(ctx, shipped.jobRequestId), 'shipped\n');
  assert.is(shipped.steps[0]!.state, JobStepState.JOB_STEP_STATE_SUCCEEDED);
  assert.match(shipped.steps[0]!.approvedBy, 'anonymous');
  const listed = await ctx.mesh.api.pipelines.listPipelines({ states: [PipelineState.PIPELINE_STATE_SUCCEEDED], repoUrl: ctx.repo.url, pageSize: 10, pageToken: '' });
  assert.ok(listed.pipelines.some((p) => p.id === pipeline!.id));
});

test('a failing build skips test and deploy and fails the pipeline; RetryPipeline(failed_only) reruns only what did not succeed', async (ctx) => {
  const { pipeline } = await submit(ctx, { env: { FAIL_B22: '1', MARKERS: join(ctx.markers, 'retry') } });
  await mkdir(join(ctx.markers, 'retry'), { recursive: true });
  const failed = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id);
  assert.is(failed.state, PipelineState.PIPELINE_STATE_FAILED);
  assert.is(jobState(failed, 'build-b-22'), PipelineJobState.PIPELINE_JOB_STATE_FAILED);
  const b22 = failed.jobs.find((j) => j.key === 'build-b-22')!;
  assert.equal(b22.steps.map((s) => [s.name, s.state, s.exitCode]), [['compile', JobStepState.JOB_STEP_STATE_FAILED, 7], ['check', JobStepState.JOB_STEP_STATE_SKIPPED, undefined]]);
  assert.is(jobState(failed, 'test'), PipelineJobState.PIPELINE_JOB_STATE_SKIPPED);
  assert.match(failed.jobs.find((j) => j.key === 'test')!.reason, 'build-b-22 (failed)');
  assert.is(jobState(failed, 'deploy'), PipelineJobState.PIPELINE_JOB_STATE_SKIPPED);
  await expectStatus(ctx.mesh.api.pipelines.retryPipeline({ id: pipeline!.id, failedOnly: true }).then(() => ctx.mesh.api.pipelines.retryPipeline({ id: pipeline!.id, failedOnly: true })), status.FAILED_PRECONDITION, { reason: 'PIPELINE_RUNNING' });
  const again = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id, (p) => p.attempt === 2 && p.state !== PipelineState.PIPELINE_STATE_RUNNING);
  assert.is(again.state, PipelineState.PIPELINE_STATE_FAILED);
  // Only b/22 ran again (nothing was fixed); the others kept their one run and their results.
  for (const k of ['a-20', 'a-22', 'b-20']) assert.is((await runsOf(join(ctx.markers, 'retry', `build-${k}`))).length, 1, k);
  assert.is((await runsOf(join(ctx.markers, 'retry', 'build-b-22'))).length, 2);
  assert.is(again.jobs.find((j) => j.key === 'build-a-20')!.jobRequestId, failed.jobs.find((j) => j.key === 'build-a-20')!.jobRequestId);
  assert.is(again.jobs.find((j) => j.key === 'build-b-22')!.runs, 2);
  assert.is(jobState(again, 'test'), PipelineJobState.PIPELINE_JOB_STATE_SKIPPED);
});

test('an approval given before the pipeline reaches the block step still unblocks it', async (ctx) => {
  const { pipeline } = await submit(ctx, { env: { MARKERS: join(ctx.markers, 'early') } });
  await mkdir(join(ctx.markers, 'early'), { recursive: true });
  await ctx.mesh.api.pipelines.approveStep({ pipelineId: pipeline!.id, jobKey: 'deploy', step: 'Ship it?' });
  const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id);
  assert.is(done.state, PipelineState.PIPELINE_STATE_SUCCEEDED, JSON.stringify(done.jobs.map((j) => [j.key, j.state, j.reason])));
});

test('jobs of one concurrency group in two pipelines never overlap', async (ctx) => {
  const [one, two] = await Promise.all([submit(ctx, { manifestPath: 'grouped.yml', env: { PIPE: 'one' } }), submit(ctx, { manifestPath: 'grouped.yml', env: { PIPE: 'two' } })]);
  const ended = await Promise.all([one, two].map((r) => waitForPipeline(ctx.mesh.api.pipelines.getPipeline, r.pipeline!.id)));
  assert.ok(ended.every((p) => p.state === PipelineState.PIPELINE_STATE_SUCCEEDED));
  const runs = [...(await runsOf(join(ctx.markers, 'group-one'))), ...(await runsOf(join(ctx.markers, 'group-two')))];
  assert.is(runs.length, 2);
  assert.is(maxOverlap(runs), 1, `the two runs overlapped: ${runs}`);
});

test('CancelPipeline cancels the running job, and the waiting one never starts', async (ctx) => {
  const { pipeline } = await submit(ctx, { manifestPath: 'slow.yml' });
  await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id, (p) => jobState(p, 'first') === PipelineJobState.PIPELINE_JOB_STATE_RUNNING);
  await ctx.mesh.api.pipelines.cancelPipeline({ id: pipeline!.id, reason: 'test' });
  const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id, undefined, 60_000);
  assert.is(done.state, PipelineState.PIPELINE_STATE_CANCELLED);
  assert.is(jobState(done, 'first'), PipelineJobState.PIPELINE_JOB_STATE_CANCELLED);
  assert.is(jobState(done, 'second'), PipelineJobState.PIPELINE_JOB_STATE_CANCELLED);
  assert.is(done.jobs.find((j) => j.key === 'second')!.jobRequestId, '');
  await expectStatus(ctx.mesh.api.pipelines.cancelPipeline({ id: pipeline!.id, reason: '' }), status.FAILED_PRECONDITION, { reason: 'PIPELINE_ENDED' });
});

test('WatchPipeline sends each change and ends with the ended pipeline', async (ctx) => {
  const { pipeline } = await submit(ctx, { manifestPath: 'grouped.yml', env: { PIPE: 'watch' } });
  const seen: number[] = [];
  for await (const { pipeline: p } of ctx.mesh.api.pipelines.watchPipeline({ id: pipeline!.id })) seen.push(p!.jobs[0]!.state);
  assert.is(seen.at(-1), PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED);
  assert.ok(seen.includes(PipelineJobState.PIPELINE_JOB_STATE_RUNNING));
});

test('bad manifests are refused with every problem, its path and line, and nothing starts', async (ctx) => {
  const count = async () => [
    (await ctx.mesh.api.pipelines.listPipelines({ states: [], repoUrl: '', pageSize: 500, pageToken: '' })).pipelines.length,
    (await ctx.mesh.api.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 500, pageToken: '' })).jobs.length,
  ];
  const before = await count();
  const refused = await expectStatus(submit(ctx, { manifestPath: 'mistakes.yml' }), status.INVALID_ARGUMENT, { field: 'manifest', reason: 'MANIFEST_INVALID' });
  const expected = [
    'jobs.unknown-key.stepz: unknown key (line 4)',
    'jobs.no-runs-on.runs_on: required (line 6)',
    'jobs.no-steps.steps: required (line 8)',
    'jobs.both.steps[0]: has both run and block: a step is one or the other (line 13)',
    'jobs.neither.steps[0].run: required (line 18)',
    'jobs.not-string.steps[0].run: must be a string (line 21)',
    'jobs.twice.steps[1]: step name "x" is already used in this job (line 24)',
    'jobs.late-block.steps[1]: a block step must come before every run step (line 27)',
    'jobs.only-block.steps: must hold at least one run step (line 30)',
    'jobs.unknown-need.needs[0]: unknown job nowhere (line 33)',
    'jobs.self-need.needs[0]: a job cannot need itself (line 37)',
    'jobs.bad-if.if: must be success(), failure() or always() (line 41)',
    'jobs.bad-timeout.timeout: must be a duration such as 90s, 30m or 2h, or a whole number of seconds (line 45)',
    'jobs.bad-retry.retry: must be a whole number from 0 to 10 (line 49)',
    'jobs.bad-env.env.1BAD: must match [A-Za-z_][A-Za-z0-9_]* (line 53)',
    'jobs.escape.artifacts.paths[0]: must not contain a .. component (line 57)',
    'jobs.no-matrix.steps[0].run: ${{ }} needs a matrix: this job has none (line 61)',
    'jobs.bad-when.artifacts.when: must be on_success, on_failure or always (line 64)',
  ];
  const lines = refused.message.split('\n');
  for (const problem of expected) assert.ok(lines.includes(problem), `missing: ${problem}\nin: ${refused.message}`);
  await expectStatus(submit(ctx, { manifestPath: 'unknowns.yml' }), status.INVALID_ARGUMENT, { field: 'manifest' }).then((e) => {
    assert.match(e.message, 'jobs.wrong-label.runs_on: unknown label "nowhere"');
    assert.match(e.message, "jobs.wrong-label.secret_env: TOKEN not given in the submission's secret_env");
  });
  assert.equal(await count(), before, 'no pipeline and no job was stored');
});

test('errors name the field: unknown ids, bad fields, unknown steps, a run step, a missing manifest', async (ctx) => {
  const api = ctx.mesh.api.pipelines;
  const unknown = '00000000-0000-4000-8000-000000000000';
  await expectStatus(api.getPipeline({ id: 'x' }), status.INVALID_ARGUMENT, { field: 'id' });
  await expectStatus(api.getPipeline({ id: unknown }), status.NOT_FOUND);
  await expectStatus(api.retryPipeline({ id: unknown, failedOnly: true }), status.NOT_FOUND);
  await expectStatus(api.submitPipeline({ repoUrl: ctx.repo.url, commitSha: 'abc', manifestPath: '', env: {}, secretEnv: {}, requestId: '' }), status.INVALID_ARGUMENT, { field: 'commit_sha' });
  await expectStatus(api.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: '../x.yml', env: {}, secretEnv: {}, requestId: '' }), status.INVALID_ARGUMENT, { field: 'manifest_path' });
  await expectStatus(api.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: 'none.yml', env: {}, secretEnv: {}, requestId: '' }), status.NOT_FOUND, { field: 'manifest_path', reason: 'MANIFEST_NOT_FOUND' });
  const { pipeline } = await submit(ctx, { manifestPath: 'grouped.yml', env: { PIPE: 'errors' } });
  await expectStatus(api.approveStep({ pipelineId: pipeline!.id, jobKey: 'nope', step: '0' }), status.NOT_FOUND, { field: 'job_key' });
  await expectStatus(api.approveStep({ pipelineId: pipeline!.id, jobKey: 'deploy', step: 'nope' }), status.NOT_FOUND, { field: 'step' });
  await expectStatus(api.approveStep({ pipelineId: pipeline!.id, jobKey: 'deploy', step: '0' }), status.FAILED_PRECONDITION, { reason: 'NOT_A_BLOCK_STEP' });
  await expectStatus(api.approveStep({ pipelineId: pipeline!.id, jobKey: '', step: '0' }), status.INVALID_ARGUMENT, { field: 'job_key' });
  const done = await waitForPipeline(api.getPipeline, pipeline!.id);
  await expectStatus(api.retryPipeline({ id: pipeline!.id, failedOnly: true }), status.FAILED_PRECONDITION, { reason: 'NOTHING_TO_RETRY' });
  await expectStatus(logOf(ctx, done.jobs[0]!.jobRequestId, 5), status.NOT_FOUND, { field: 'step' });
});

test.run();
