import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { manifestSha256 } from '@jobmesh/artifacts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestFsops, writeTree, type TestFsops } from './support/index.ts';

const test = suite<{ f: TestFsops }>('staged artifact collection');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
});

const collect = (f: TestFsops, request: { jobRequestId: string; stagedPath?: string; workspacePath?: string; patterns?: string[]; mode?: TransferMode }) =>
  withDeadline(f.client.collectArtifacts({
    workspacePath: '', stagedPath: '', patterns: [], mode: TransferMode.TRANSFER_MODE_MOVE, ...request,
  }), 30_000, 'collect');

test('commits every staged file (modes kept) into <artifacts>/<job>, removes the folder, repeats with the same result', async ({ f }) => {
  const staged = join(f.roots.staging, 'outputs', 'vm-1');
  const hashes = await writeTree(staged, { 'bin/tool': '#!/bin/sh\necho hi\n', 'dist/a/b/report.txt': 'report', 'top.txt': 'top' });
  await chmod(join(staged, 'bin/tool'), 0o755);
  await chmod(join(staged, 'dist/a/b/report.txt'), 0o644);
  await chmod(join(staged, 'top.txt'), 0o644);
  const job = randomUUID();
  const response = await collect(f, { jobRequestId: job, stagedPath: staged });
  assert.is(response.artifactDir, join(f.roots.artifacts, job));
  assert.equal(response.files.map((x) => [x.path, x.mode, x.sha256]), [
    ['bin/tool', 0o755, hashes['bin/tool']], ['dist/a/b/report.txt', 0o644, hashes['dist/a/b/report.txt']], ['top.txt', 0o644, hashes['top.txt']],
  ]);
  assert.is(response.manifestSha256, manifestSha256(response.files));
  assert.is(response.modeUsed, TransferMode.TRANSFER_MODE_MOVE);
  assert.is(await readFile(join(response.artifactDir, 'dist/a/b/report.txt'), 'utf8'), 'report');
  assert.is((await stat(join(response.artifactDir, 'bin/tool'))).mode & 0o7777, 0o755);
  assert.is((await stat(join(response.artifactDir, 'top.txt'))).mode & 0o7777, 0o644);
  assert.not.ok(existsSync(staged), 'the staged folder is gone');
  const again = await collect(f, { jobRequestId: job, stagedPath: staged });
  assert.equal(again, response);
});

test('a copy collection keeps modes and still removes the staged folder; a repeat removes one left again', async ({ f }) => {
  const staged = join(f.roots.staging, 'outputs', 'vm-2');
  await writeTree(staged, { 'run.sh': 'x', 'data/d.txt': 'd' });
  await chmod(join(staged, 'run.sh'), 0o755);
  const job = randomUUID();
  const response = await collect(f, { jobRequestId: job, stagedPath: staged, mode: TransferMode.TRANSFER_MODE_COPY });
  assert.equal(response.files.map((x) => [x.path, x.mode]), [['data/d.txt', 0o644], ['run.sh', 0o755]]);
  assert.is((await stat(join(response.artifactDir, 'run.sh'))).mode & 0o7777, 0o755);
  assert.not.ok(existsSync(staged));
  await writeTree(staged, { 'left.txt': 'left' });
  const again = await collect(f, { jobRequestId: job, stagedPath: staged, mode: TransferMode.TRANSFER_MODE_COPY });
  assert.is(again.manifestSha256, response.manifestSha256);
  assert.not.ok(existsSync(staged), 'a staged folder left is removed on the repeat');
});

test('an empty staged folder gives an empty result and is removed', async ({ f }) => {
  const staged = join(f.roots.staging, 'outputs', 'vm-3');
  await mkdir(staged, { recursive: true });
  const job = randomUUID();
  const response = await collect(f, { jobRequestId: job, stagedPath: staged });
  assert.equal(response.files, []);
  assert.is(response.manifestSha256, createHash('sha256').update('').digest('hex'));
  assert.not.ok(existsSync(staged));
});

test('refusals: both or neither field, patterns with staged_path, outside staging, the staging root', async ({ f }) => {
  const staged = join(f.roots.staging, 'outputs', 'vm-4');
  await writeTree(staged, { 'a.txt': 'a' });
  const workspace = join(f.roots.workspace, 'w');
  await writeTree(workspace, { 'a.txt': 'a' });
  const job = randomUUID();
  await expectStatus(collect(f, { jobRequestId: job }), status.INVALID_ARGUMENT, { field: 'workspace_path' });
  await expectStatus(collect(f, { jobRequestId: job, stagedPath: staged, workspacePath: workspace, patterns: ['*'] }), status.INVALID_ARGUMENT, { field: 'staged_path' });
  await expectStatus(collect(f, { jobRequestId: job, stagedPath: staged, patterns: ['*'] }), status.INVALID_ARGUMENT, { field: 'patterns' });
  await expectStatus(collect(f, { jobRequestId: job, stagedPath: workspace }), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(collect(f, { jobRequestId: job, stagedPath: '/etc' }), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(collect(f, { jobRequestId: job, stagedPath: f.roots.staging }), status.PERMISSION_DENIED, { reason: 'PATH_IS_ROOT' });
  assert.ok(existsSync(join(staged, 'a.txt')), 'nothing moved');
  assert.not.ok(existsSync(join(f.roots.artifacts, job)));
});

test.run();
