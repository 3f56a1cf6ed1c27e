import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestFsops, writeTree, type TestFsops } from './support/index.ts';

const test = suite<{ f: TestFsops; outside: string }>('stat, list and remove');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
  ctx.outside = await mkdtemp(join(tmpdir(), 'fsops-outside-'));
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  if (ctx.outside) await rm(ctx.outside, { recursive: true, force: true });
});

const call = <T>(promise: Promise<T>) => withDeadline(promise, 5000, 'call');

test('Stat describes a file, a directory and a symlink itself; missing is NOT_FOUND', async ({ f }) => {
  await writeTree(f.roots.staging, { 'st/a.txt': 'hello' });
  await symlink(join(f.roots.staging, 'st/a.txt'), join(f.roots.staging, 'st/link'));
  const file = (await call(f.client.stat({ path: join(f.roots.staging, 'st/a.txt') }))).entry!;
  assert.is(file.sizeBytes, 5);
  assert.is(file.isDir, false);
  assert.is(file.inode, (await stat(join(f.roots.staging, 'st/a.txt'))).ino);
  assert.ok(file.modifiedAt instanceof Date);
  assert.is((await call(f.client.stat({ path: join(f.roots.staging, 'st') }))).entry!.isDir, true);
  assert.is((await call(f.client.stat({ path: join(f.roots.staging, 'st/link') }))).entry!.isSymlink, true);
  await expectStatus(call(f.client.stat({ path: join(f.roots.staging, 'st/none') })), status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
  await expectStatus(call(f.client.stat({ path: '' })), status.INVALID_ARGUMENT, { field: 'path' });
});

test('List gives names sorted, hides fsops metadata; a file is FAILED_PRECONDITION NOT_A_DIRECTORY', async ({ f }) => {
  await writeTree(f.roots.staging, { 'ls/b.txt': 'b', 'ls/a.txt': 'a', 'ls/sub/c.txt': 'c' });
  const { entries } = await call(f.client.list({ path: join(f.roots.staging, 'ls') }));
  assert.equal(entries.map((e) => [e.path, e.isDir]), [['a.txt', false], ['b.txt', false], ['sub', true]]);
  const root = await call(f.client.list({ path: f.roots.staging }));
  assert.not.ok(root.entries.some((e) => e.path === '.fsops'));
  await expectStatus(call(f.client.list({ path: join(f.roots.staging, 'ls/a.txt') })), status.FAILED_PRECONDITION, { reason: 'NOT_A_DIRECTORY' });
  await expectStatus(call(f.client.list({ path: join(f.roots.staging, 'nothing') })), status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
});

test('Remove deletes a tree, a symlink (never its target); missing is removed=false; a root is refused', async ({ f, outside }) => {
  await writeTree(f.roots.staging, { 'rm/x/y.txt': 'y' });
  assert.is((await call(f.client.remove({ path: join(f.roots.staging, 'rm/x') }))).removed, true);
  assert.not.ok(existsSync(join(f.roots.staging, 'rm/x')));
  assert.is((await call(f.client.remove({ path: join(f.roots.staging, 'rm/x') }))).removed, false);
  await writeTree(f.roots.staging, { 'rm/target.txt': 't' });
  await symlink(join(f.roots.staging, 'rm/target.txt'), join(f.roots.staging, 'rm/link'));
  assert.is((await call(f.client.remove({ path: join(f.roots.staging, 'rm/link') }))).removed, true);
  assert.ok(existsSync(join(f.roots.staging, 'rm/target.txt')));
  await writeFile(join(outside, 'keep'), 'keep');
  await expectStatus(call(f.client.remove({ path: join(outside, 'keep') })), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(call(f.client.remove({ path: f.roots.artifacts })), status.PERMISSION_DENIED, { reason: 'ROOT_NOT_REMOVABLE' });
  await expectStatus(call(f.client.remove({ path: join(f.roots.staging, '.fsops') })), status.PERMISSION_DENIED, { reason: 'PATH_RESERVED' });
  assert.ok(existsSync(join(outside, 'keep')) && existsSync(f.roots.artifacts));
});

test.run();
