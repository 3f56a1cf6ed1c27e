import { JobStepState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, waitForPipeline, type TestMesh } from './support/index.ts';

// Two jobs in qemu guests (the busybox test image under TCG): `make` writes an artifact in two
// steps, `use` needs it, reads it from .jobmesh/needs inside its own guest, and fails in its
// second step, so the step markers came through the guest agent's channel.
const manifest = `
jobs:
  make:
    runs_on: guest
    artifacts: { paths: [out/**] }
    steps:
      - name: write
        run: mkdir -p out && echo "made in a guest" > out/made.txt
      - name: show
        run: uname -s && cat out/made.txt
  use:
    runs_on: guest
    needs: [make]
    steps:
      - name: read
        run: cat .jobmesh/needs/make/out/made.txt
      - name: fail
        run: echo failing >&2; exit 3
      - name: never
        run: echo never
`;

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('pipelines in qemu guests: steps marked through the guest agent, needs artifacts in the guest');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({
    localSlots: 1,
    labels: [{ name: 'guest', backend: 'qemu', image: { testImage: true }, memoryMb: 256, cpus: 1, slots: 1 }],
    env: { JOBMESH_VMRUNNER_ACCEL: 'tcg' },
  }), 300_000, 'mesh up');
  ctx.repo = await makeGitRepo({ '.jobmesh.yml': manifest });
});
test.after(async (ctx) => ctx.mesh?.stop());

async function logOf(ctx: Ctx, requestId: string, step?: number): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of ctx.mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: false, step })) parts.push(Buffer.from(chunk.data).toString());
  return parts.join('');
}

test('both jobs run in guests; the steps, their exit codes and their log parts are recorded', async (ctx) => {
  const { pipeline } = await ctx.mesh.api.pipelines.submitPipeline({ repoUrl: ctx.repo.url, commitSha: ctx.repo.commit, manifestPath: '', env: {}, secretEnv: {}, requestId: '' });
  const done = await waitForPipeline(ctx.mesh.api.pipelines.getPipeline, pipeline!.id, undefined, 600_000);
  assert.is(done.state, PipelineState.PIPELINE_STATE_FAILED, JSON.stringify(done.jobs.map((j) => [j.key, j.state, j.reason])));
  const [make, use] = done.jobs;
  assert.equal(make!.steps.map((s) => [s.name, s.state, s.exitCode]), [['write', JobStepState.JOB_STEP_STATE_SUCCEEDED, 0], ['show', JobStepState.JOB_STEP_STATE_SUCCEEDED, 0]]);
  assert.is(await logOf(ctx, make!.jobRequestId, 1), 'Linux\nmade in a guest\n');
  assert.equal(use!.steps.map((s) => [s.name, s.state, s.exitCode]), [['read', JobStepState.JOB_STEP_STATE_SUCCEEDED, 0], ['fail', JobStepState.JOB_STEP_STATE_FAILED, 3], ['never', JobStepState.JOB_STEP_STATE_SKIPPED, undefined]]);
  assert.is(await logOf(ctx, use!.jobRequestId, 0), 'made in a guest\n');
  assert.is(await logOf(ctx, use!.jobRequestId, 1), 'failing\n');
  assert.not.match(await logOf(ctx, use!.jobRequestId), 'jobmesh-step');
});

test.run();
