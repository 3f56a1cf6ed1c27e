import { randomUUID } from 'node:crypto';
import { ArtifactWhen, JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { legacyRunJobSteps as legacy, runJobSteps as steps, workflowNames } from '../src/names.ts';
import { currentStepLayout } from '../src/run-job/run-job-workflow.ts';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

// A run-job workflow keeps the steps of the layout it was started with: one recorded by an older
// orchestrator (its input names the layout, or none for layout 1) runs, and replays, with those
// steps after an upgrade. Such workflows are made here the way an older orchestrator stored them.
const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string } }>('run-job: workflows of older step layouts run with their own steps (real processes)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'hello.txt': 'from an older layout\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const script = 'cat hello.txt';

/** Stores a job and its run-job workflow as an orchestrator of that layout did; the running orchestrator claims it. */
async function startRecorded(mesh: TestMesh, repo: { url: string; commit: string }, stepLayout: number | undefined): Promise<string> {
  const requestId = randomUUID();
  const spec = { requestId, repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script, env: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: ArtifactWhen.ARTIFACT_WHEN_UNSPECIFIED };
  const { job } = await mesh.store.jobs.createJob({ spec, workflowId: requestId, traceId: '', pipelineId: '', pipelineJobKey: '' });
  const deadlineAt = new Date(job!.createdAt!.getTime() + spec.timeoutMs);
  const input = { ...spec, deadline: deadlineAt.toISOString(), traceparent: '', ...(stepLayout === undefined ? {} : { stepLayout }) };
  await mesh.store.workflows.createWorkflow({ id: requestId, name: workflowNames.runJob, inputJson: JSON.stringify(input), parentId: '', jobRequestId: requestId,
    scheduledAt: undefined, deadlineAt, claimOwner: '', claimLeaseMs: 0 });
  return requestId;
}

async function stepsAndStates(mesh: TestMesh, requestId: string) {
  const done = await waitForJobEnd((r) => mesh.api.jobs.getJob(r), requestId);
  assert.is(done.state, JobState.JOB_STATE_SUCCEEDED, done.error);
  // The last step is recorded with CompleteWorkflow, just after the job became final.
  const names = await withDeadline((async () => {
    for (;;) {
      const { operation } = await mesh.api.operations.getOperation({ id: requestId });
      const recorded = operation!.steps.map((s) => s.name);
      if (recorded.includes(steps.finish)) return recorded;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), 30_000, 'job.finish recorded');
  const { events } = await mesh.store.jobs.listJobEvents({ requestId, afterSequence: 0, pageSize: 100 });
  const log: string[] = [];
  for await (const chunk of mesh.api.jobs.streamJobLogs({ requestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
  assert.is(log.join(''), 'from an older layout\n');
  return { names, states: events.map((e) => e.toState) };
}

const path = [JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED];

test('layout 1 (no stepLayout in the input): one step per call and per state write', async ({ mesh, repo }) => {
  const { names, states } = await stepsAndStates(mesh, await startRecorded(mesh, repo, undefined));
  assert.equal(names, [legacy.acquireSlot, legacy.markPreparing, steps.prepareWorkspace, legacy.prepareVm, legacy.startVm, legacy.waitReady,
    legacy.markRunning, steps.exec, legacy.destroyVm, legacy.removeWorkspace, steps.finish]);
  assert.equal(states.slice(-3), path);
});

test('layout 2: take-slot, the checkout in a step of its own, RUNNING inside vm.boot', async ({ mesh, repo }) => {
  const { names, states } = await stepsAndStates(mesh, await startRecorded(mesh, repo, 2));
  assert.equal(names, [steps.takeSlot, steps.prepareWorkspace, steps.boot, steps.exec, steps.cleanUp, steps.finish]);
  assert.equal(states.slice(-3), path);
});

test(`layout ${currentStepLayout} (every job submitted now): the checkout goes into vm.boot, RUNNING into vm.exec: 4 checkpoints and the end`, async ({ mesh, repo }) => {
  const { job } = await mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script, env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  const { names, states } = await stepsAndStates(mesh, job!.requestId);
  assert.equal(names, [steps.takeSlot, steps.boot, steps.exec, steps.cleanUp, steps.finish]);
  assert.equal(states.slice(-3), path);
});

test.run();
