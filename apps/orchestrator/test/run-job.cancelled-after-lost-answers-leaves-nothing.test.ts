import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobState, VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runJobSteps } from '../src/names.ts';
import { makeGitRepo, startTestMesh, waitForJobEnd, type TestMesh } from './support/index.ts';

// The chaos drill left workspaces behind: a checkout (or a VM Prepare) whose answer was lost to a
// kill, then a cancel or timeout before the step was retried, so the clean-up never knew the path.
const test = suite<{ mesh: TestMesh; repo: { url: string; commit: string } }>('run-job: a job ended while its checkout or Prepare answer was lost leaves no workspace and no VM (real processes, SIGKILL)');
test.before(async (ctx) => {
  ctx.mesh = await withDeadline(startTestMesh({ localSlots: 4, leaseMs: 1500 }), 180_000, 'mesh up');
  ctx.repo = await makeGitRepo({ 'README': 'leftovers\n' });
});
test.after(async (ctx) => ctx.mesh?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitForEnd = (mesh: TestMesh, requestId: string) => waitForJobEnd((r) => mesh.store.jobs.getJob(r), requestId);
const workspaces = async (mesh: TestMesh) => (existsSync(join(mesh.dataDir, 'workspaces')) ? await readdir(join(mesh.dataDir, 'workspaces')) : []);

// A job without needs checks out inside vm.boot (step layout 3): its lost answer leaves a workspace and a VM.
for (const step of [runJobSteps.boot]) {
  test(`orchestrator SIGKILLed after ${step} did its work, job cancelled while it was down: cancelled, nothing left`, async ({ mesh, repo }) => {
    await mesh.kill('orchestrator');
    await mesh.restart('orchestrator', { JOBMESH_FAULT_CRASH_AT: `before-checkpoint:${step}` });
    const { job } = await mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'echo never', env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
    const id = job!.requestId;
    await withDeadline(mesh.exited('orchestrator'), 60_000, `orchestrator crashes at ${step}`);
    // The work of the step is done (a workspace, and for vm.boot a VM too) but never recorded.
    assert.ok((await workspaces(mesh)).includes(id), 'the lost checkout made the workspace');
    await mesh.store.workflows.requestWorkflowCancel({ id, reason: 'cancelled while the orchestrator was down' });
    await mesh.restart('orchestrator');
    const done = await waitForEnd(mesh, id);
    assert.is(done.state, JobState.JOB_STATE_CANCELLED, done.error);
    await withDeadline((async () => {
      while ((await workspaces(mesh)).includes(id)) await sleep(100);
    })(), 30_000, 'workspace removed');
    const { vms } = await mesh.store.vms.listVms({ states: [], jobRequestId: id, host: '', pageSize: 100, pageToken: '' });
    assert.ok(vms.length <= 1, 'at most one VM');
    await withDeadline((async () => {
      for (;;) {
        const { vms } = await mesh.store.vms.listVms({ states: [], jobRequestId: id, host: '', pageSize: 100, pageToken: '' });
        if (vms.every((vm) => vm.state === VmState.VM_STATE_DESTROYED)) return;
        await sleep(100);
      }
    })(), 30_000, 'every VM of the job destroyed');
    const vmDirs = join(mesh.dataDir, 'vm-runner', 'vms');
    const left = existsSync(vmDirs) ? (await readdir(vmDirs, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name) : [];
    assert.equal(left, [], `no VM folder left (VMs of the job: ${vms.map((vm) => `${vm.requestId} ${vm.state}`).join(', ')})`);
  });
}

test('a job cancelled while vm.boot is checking out (step layout 3) prepares no VM once the checkout ends, and leaves nothing', async ({ mesh }) => {
  // About 150 MB that git cannot compress much: the first checkout clones the mirror for several seconds.
  const big = await makeGitRepo({ 'big.txt': randomBytes(110_000_000).toString('base64') });
  const { job } = await mesh.api.jobs.submitJob({ repoUrl: big.url, commitSha: big.commit, runsOn: 'local', script: 'echo never', env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  const id = job!.requestId;
  await withDeadline((async () => {
    while ((await mesh.api.jobs.getJob({ requestId: id })).job!.state !== JobState.JOB_STATE_PREPARING) await sleep(20);
  })(), 60_000, 'job PREPARING (a slot taken, the checkout begins)');
  await sleep(500);
  await mesh.api.jobs.cancelJob({ requestId: id, reason: 'cancelled during the checkout' });
  const done = await waitForEnd(mesh, id);
  assert.is(done.state, JobState.JOB_STATE_CANCELLED, done.error);
  await withDeadline((async () => {
    while ((await workspaces(mesh)).includes(id)) await sleep(100);
  })(), 60_000, 'workspace removed');
  // The abandoned step's checkout has ended by now; a VM it went on to prepare would show up here.
  await sleep(3000);
  const { vms } = await mesh.store.vms.listVms({ states: [], jobRequestId: id, host: '', pageSize: 100, pageToken: '' });
  assert.equal(vms.filter((vm) => vm.state !== VmState.VM_STATE_DESTROYED).map((vm) => vm.state), [], 'no VM of the job left');
  await rm(big.dir, { recursive: true, force: true });
});

test('fsops SIGKILLed with half-made checkouts and mirror clones: its restart removes them, workspaces and mirrors stay', async ({ mesh, repo }) => {
  // A job first, so a mirror and a finished workspace exist next to the debris.
  const { job } = await mesh.api.jobs.submitJob({ repoUrl: repo.url, commitSha: repo.commit, runsOn: 'local', script: 'true', env: {}, secretEnv: {}, timeoutMs: 120_000, artifactPatterns: [], artifactWhen: 0, requestId: '' });
  assert.is((await waitForEnd(mesh, job!.requestId)).state, JobState.JOB_STATE_SUCCEEDED);
  const root = join(mesh.dataDir, 'workspaces');
  const mirrors = join(mesh.dataDir, 'mirrors');
  const mirrorsBefore = await readdir(mirrors);
  assert.ok(mirrorsBefore.length >= 1, 'a mirror exists');
  await mesh.kill('fsops');
  // What a kill in the middle of `git clone` leaves: temporary trees under the roots.
  const tempCheckout = join(root, `.${job!.requestId}.0123456789ab.fsops-tmp`);
  const tempMirror = join(mirrors, `${'c'.repeat(32)}.git.0123456789ab.tmp`);
  for (const dir of [tempCheckout, tempMirror]) {
    await mkdir(join(dir, '.git', 'objects'), { recursive: true });
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  }
  // A finished workspace of a job still running must stay.
  const kept = join(root, 'a-live-workspace');
  await mkdir(kept, { recursive: true });
  await mesh.restart('fsops');
  assert.not.ok(existsSync(tempCheckout), 'temporary checkout removed');
  assert.not.ok(existsSync(tempMirror), 'temporary mirror clone removed');
  assert.ok(existsSync(kept), 'a workspace under its final name stays');
  assert.equal((await readdir(mirrors)).sort(), mirrorsBefore.sort(), 'mirrors stay');
  assert.match(mesh.output('fsops'), /removed stale temporary checkouts/);
  await rm(kept, { recursive: true, force: true });
});

test.run();
