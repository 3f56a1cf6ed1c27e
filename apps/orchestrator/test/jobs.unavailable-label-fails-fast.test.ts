import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

type Ctx = { mesh: TestMesh; repo: { url: string; commit: string } };
const test = suite<Ctx>('a job for a label no vm-runner can run fails at once, naming the label and the fix');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({
    localSlots: 1,
    labels: [{ name: 'nodisk', backend: 'qemu', image: { kernel: '/nonexistent/vmlinuz', initrd: '/nonexistent/initrd', disk: '/nonexistent/disk.qcow2' }, memoryMb: 256, cpus: 1, slots: 1 }],
  }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ README: 'r\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

test('SubmitJob is FAILED_PRECONDITION LABEL_UNAVAILABLE with the reason; no job is made', async ({ mesh, repo }) => {
  const started = Date.now();
  const error = await expectStatus(
    mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'nodisk', script: 'true', env: {}, secretEnv: {}, timeoutMs: 60_000, artifactPatterns: [], artifactWhen: 0, requestId: '' }),
    status.FAILED_PRECONDITION, { reason: 'LABEL_UNAVAILABLE' },
  );
  assert.match(error.message, /label nodisk cannot run jobs now: .*\/nonexistent\/vmlinuz\) is missing/);
  assert.ok(Date.now() - started < 10_000, 'at once');
  const { jobs } = await mesh.api.jobs.listJobs({ states: [], runsOn: 'nodisk', repoUrl: '', pageSize: 0, pageToken: '' });
  assert.is(jobs.length, 0);
});

test.run();
