import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string }; markers: string }>('run-job: an orchestrator SIGKILLed while the job runs (found by the chaos drill)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 2, leaseMs: 1500 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'README': 'once\n' });
  ctx.markers = await mkdtemp(join(tmpdir(), 'jobmesh-once-'));
});
test.after(async (ctx) => {
  await ctx.mesh?.stop();
  if (ctx.markers) await rm(ctx.markers, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the replayed exec step re-joins the running job: it runs once, ends with its own exit code, and its log holds each line once', async ({ mesh, repo, markers }) => {
  const marker = join(markers, 'job');
  const script = `echo run >> ${marker}; echo begin; sleep 4; echo end; exit 5`;
  const { job } = await mesh.api.jobs.submitJob(SubmitJobRequest.fromPartial({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script, timeoutMs: 120_000 }));
  await withDeadline((async () => {
    while (!existsSync(marker)) await sleep(50);
  })(), 60_000, 'the job started');
  await mesh.kill('orchestrator');
  await mesh.restart('orchestrator');
  const done = await withDeadline((async () => {
    for (;;) {
      const { job: j } = await mesh.api.jobs.getJob({ requestId: job!.requestId }).catch(() => ({ job: undefined }));
      if (j && j.state >= JobState.JOB_STATE_SUCCEEDED) return j; // 5..8 are the terminal states
      await sleep(200);
    }
  })(), 120_000, 'job ends');
  assert.is(done.state, JobState.JOB_STATE_FAILED, done.error);
  assert.is(done.exitCode, 5, 'the exit code of the one run');
  assert.is((await readFile(marker, 'utf8')).trim().split('\n').length, 1, 'the script ran once');
  const log: string[] = [];
  for await (const chunk of mesh.api.jobs.streamJobLogs({ requestId: job!.requestId, fromOffset: 0, follow: false })) log.push(Buffer.from(chunk.data).toString());
  assert.is(log.join(''), 'begin\nend\n');
});

test.run();
