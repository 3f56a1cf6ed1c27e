import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestMesh, type TestMesh } from './support/index.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));

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

test('ListLabels and `jobmesh labels` say which labels run and why not; GetVmConsole refuses bad and unknown ids', async ({ mesh }) => {
  const { labels, unreachable } = await mesh.api.vms.listLabels({});
  assert.equal(unreachable, []);
  const nodisk = labels.find((l) => l.name === 'nodisk')!;
  assert.match(nodisk.unavailableReason, /\/nonexistent\/vmlinuz\) is missing/);
  assert.ok(['probe', 'tcg', 'kvm'].includes(nodisk.accelerator) && nodisk.acceleratorReason !== '');
  assert.is(labels.find((l) => l.name === 'local')!.unavailableReason, '');
  const env = { ...process.env, JOBMESH_ADDR: mesh.address.orchestrator };
  const table = (await run(process.execPath, [cli, 'labels'], { env })).stdout;
  assert.match(table, /nodisk\s+\S+\s+qemu\s+0\/1\s+\S+\s+no: the kernel of label nodisk/);
  assert.match(table, /local,process\s+\S+\s+process\s+\d+\/\d+\s+-\s+yes/);
  await expectStatus(mesh.api.vms.getVmConsole({ vmId: 'nope', maxBytes: 0 }), status.INVALID_ARGUMENT, { field: 'vm_id' });
  await expectStatus(mesh.api.vms.getVmConsole({ vmId: '00000000-0000-4000-8000-000000000000', maxBytes: 0 }), status.NOT_FOUND, { reason: 'VM_NOT_FOUND' });
  const missing = await run(process.execPath, [cli, 'vms', '--console', '00000000-0000-4000-8000-000000000000'], { env }).catch((e: { code: number; stderr: string }) => e);
  assert.is((missing as { code: number }).code, 1);
  assert.match((missing as { stderr: string }).stderr, /NOT_FOUND/);
});

test.run();
