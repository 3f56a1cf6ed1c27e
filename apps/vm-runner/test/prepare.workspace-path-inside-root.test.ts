import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

// vm-runner copies (process) or packs (qemu) the workspace_path it is given: only folders inside
// the workspace root it shares with fsops, never any host directory a caller names.
const test = suite<{ dir: string; root: string; r: TestVmRunner }>('Prepare takes only a workspace_path inside the workspace root');
test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-ws-root-'));
  ctx.root = join(ctx.dir, 'workspaces');
  await mkdir(join(ctx.root, 'job-1'), { recursive: true });
  await writeFile(join(ctx.root, 'job-1', 'input.txt'), 'inside\n');
  await mkdir(join(ctx.dir, 'secret'));
  await symlink(join(ctx.dir, 'secret'), join(ctx.root, 'link-out'));
  await symlink(join(ctx.root, 'job-1'), join(ctx.root, 'link-in'));
  // Persistence is not needed: VM events wait in the record buffer.
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: '127.0.0.1:1', env: { JOBMESH_VMRUNNER_WORKSPACE_ROOT: ctx.root } }), 60_000, 'vm-runner');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await rm(ctx.dir, { recursive: true, force: true });
});

test('outside the root, through .., through a symlink out of it, or the root itself: PERMISSION_DENIED PATH_OUTSIDE_ROOT naming workspace_path', async ({ r, dir, root }) => {
  for (const workspacePath of ['/etc', '/', join(dir, 'secret'), join(root, '..', 'secret'), join(root, 'link-out'), root]) {
    await expectStatus(withDeadline(r.client.prepare(prepareRequest({ workspacePath })), 10_000, workspacePath), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT', field: 'workspace_path' });
  }
  assert.is((await r.client.listVms({ states: [], jobRequestId: '', key: '', pageSize: 1000, pageToken: '' })).vms.length, 0, 'nothing made');
});

test('relative, or missing inside the root: INVALID_ARGUMENT naming workspace_path', async ({ r, root }) => {
  for (const workspacePath of ['workspaces/job-1', join(root, 'missing')]) {
    await expectStatus(withDeadline(r.client.prepare(prepareRequest({ workspacePath })), 10_000, workspacePath), status.INVALID_ARGUMENT, { field: 'workspace_path' });
  }
});

test('a folder inside the root, also through a symlink that stays inside, is prepared', async ({ r, root }) => {
  for (const workspacePath of [join(root, 'job-1'), join(root, 'link-in')]) {
    const { vm } = await withDeadline(r.client.prepare(prepareRequest({ workspacePath })), 10_000, workspacePath);
    await withDeadline(r.client.destroy({ vmId: vm!.id }), 10_000, 'destroy');
  }
});

test.run();
