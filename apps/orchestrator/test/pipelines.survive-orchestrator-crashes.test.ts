import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runJobSteps, runPipelineSteps } from '../src/names.ts';
import { makeGitRepo, startTestMesh, waitForPipeline, type TestMesh } from './support/index.ts';

// Two jobs: `a` (in a concurrency group, with an artifact) and `b`, which needs it, receives its
// artifact and runs two steps. Each run appends a line to a marker file of its job.
const manifest = `
jobs:
  a:
    runs_on: local
    concurrency: crash-drill
    artifacts: { paths: [out/**] }
    steps:
      - name: make
        run: |
          echo run >> "$MARKERS/a"
          mkdir -p out && echo from-a > out/a.txt
  b:
    runs_on: local
    needs: [a]
    steps:
      - name: read
        run: cat .jobmesh/needs/a/out/a.txt
      - name: mark
        run: echo run >> "$MARKERS/b"
`;

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('pipelines survive orchestrator crashes at every stage (real processes, SIGKILL)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 4, leaseMs: 1500 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ '.jobmesh.yml': manifest });
});
test.after(async (ctx) => ctx.mesh?.stop());

// The pipeline's own steps (its first decision, taking an event, its end) and the steps that
// pipeline jobs add to run-job (group, the checkout of a job with needs and the needs, steps in exec,
// telling the pipeline it ended).
const stages = [runPipelineSteps.advance, 'durable.event:pipeline', runPipelineSteps.finish,
  runJobSteps.acquireGroup, runJobSteps.prepareWorkspace, runJobSteps.fetchNeeds, runJobSteps.exec, runJobSteps.releaseGroup, runJobSteps.finish];

for (const stage of stages) {
  test(`SIGKILL during ${stage} (after its work, before its checkpoint): the pipeline ends right and every job ran once`, async ({ mesh, repo }) => {
    const markers = join(mesh.dataDir, 'markers', stage.replace(/[^a-z]/g, '-'));
    await mkdir(markers, { recursive: true });
    await mesh.kill('orchestrator');
    await mesh.restart('orchestrator', { JOBMESH_FAULT_CRASH_AT: `before-checkpoint:${stage}` });
    const { pipeline } = await mesh.api.pipelines.submitPipeline({ repoUrl: repo.url, commitSha: repo.commit, manifestPath: '', env: { MARKERS: markers }, secretEnv: {}, requestId: '' });
    const code = await withDeadline(mesh.exited('orchestrator'), 90_000, `orchestrator crashes at ${stage}`);
    assert.is(code, null, 'killed by a signal');
    await mesh.restart('orchestrator');
    const done = await waitForPipeline((r) => mesh.api.pipelines.getPipeline(r), pipeline!.id);
    assert.is(done.state, PipelineState.PIPELINE_STATE_SUCCEEDED, `${stage}: ${done.error} ${JSON.stringify(done.jobs.map((j) => [j.key, j.state, j.reason]))}`);
    assert.equal(done.jobs.map((j) => j.runs), [1, 1], 'one run per job');
    assert.is(await readFile(join(markers, 'a'), 'utf8'), 'run\n', 'a ran once');
    assert.is(await readFile(join(markers, 'b'), 'utf8'), 'run\n', 'b ran once');
    const b = done.jobs.find((j) => j.key === 'b')!;
    const { job } = await mesh.api.jobs.getJob({ requestId: b.jobRequestId });
    assert.is(job!.state, JobState.JOB_STATE_SUCCEEDED);
    assert.equal(job!.steps.map((s) => [s.name, s.exitCode]), [['read', 0], ['mark', 0]]);
    const log: string[] = [];
    for await (const chunk of mesh.api.jobs.streamJobLogs({ requestId: b.jobRequestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
    assert.is(log.join(''), 'from-a\n');
  });
}

test.run();
