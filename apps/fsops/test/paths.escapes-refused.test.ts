import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status, type StatusCode } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runTransferCall, startTestFsops, transferRequest, type TestFsops } from './support/index.ts';

const test = suite<{ f: TestFsops; outside: string }>('path escapes are refused with nothing touched');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
  ctx.outside = await mkdtemp(join(tmpdir(), 'fsops-outside-'));
  await writeFile(join(ctx.outside, 'secret.txt'), 'secret');
  const ws = ctx.f.roots.workspace;
  await mkdir(join(ws, 'job'), { recursive: true });
  await writeFile(join(ws, 'job/ok.txt'), 'ok');
  await symlink(ctx.outside, join(ws, 'job/out-dir'));
  await symlink(join(ctx.outside, 'secret.txt'), join(ws, 'job/out-file'));
  await symlink('../../../../../../../../../../etc/passwd', join(ws, 'job/relative-out'));
  await symlink(join(ws, 'job/loop-b'), join(ws, 'job/loop-a'));
  await symlink(join(ws, 'job/loop-a'), join(ws, 'job/loop-b'));
  await symlink(join(ctx.outside, 'not-there'), join(ws, 'job/dangling'));
  await symlink(join(ctx.f.roots.staging, '.fsops'), join(ctx.f.roots.staging, 'to-metadata'));
  await mkdir(join(ws, 'tree-with-escape'));
  await writeFile(join(ws, 'tree-with-escape/fine.txt'), 'fine');
  await symlink(join(ctx.outside, 'secret.txt'), join(ws, 'tree-with-escape/sneaky'));
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  if (ctx.outside) await rm(ctx.outside, { recursive: true, force: true });
});

type Case = [name: string, source: (f: TestFsops, outside: string) => string, code: StatusCode, reason: string];
const ws = (f: TestFsops, rel: string) => join(f.roots.workspace, rel);
const cases: Case[] = [
  ['dot-dot out of the root', (f) => `${ws(f, 'job')}/../../../../etc/passwd`, status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['dot-dot that would land back inside', (f) => `${ws(f, 'job')}/../job/ok.txt`, status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['absolute path outside every root', () => '/etc/passwd', status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['absolute path to a sibling of a root', (f) => `${f.base}/mirrors`, status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['prefix trick (root name plus suffix)', (f) => `${f.roots.workspace}-evil/x`, status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['relative path', () => 'job/ok.txt', status.INVALID_ARGUMENT, 'PATH_INVALID'],
  ['symlink to a directory outside, then into it', (f) => ws(f, 'job/out-dir/secret.txt'), status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['symlink to a file outside', (f) => ws(f, 'job/out-file'), status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['relative symlink climbing out', (f) => ws(f, 'job/relative-out'), status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
  ['symlink loop', (f) => ws(f, 'job/loop-a'), status.INVALID_ARGUMENT, 'SYMLINK_LOOP'],
  ['symlink loop as a parent', (f) => ws(f, 'job/loop-a/x'), status.INVALID_ARGUMENT, 'SYMLINK_LOOP'],
  ['dangling symlink', (f) => ws(f, 'job/dangling'), status.PERMISSION_DENIED, 'SYMLINK_DANGLING'],
  ['symlink into fsops metadata', (f) => join(f.roots.staging, 'to-metadata'), status.PERMISSION_DENIED, 'PATH_RESERVED'],
  ['fsops metadata directly', (f) => join(f.roots.staging, '.fsops/x.json'), status.PERMISSION_DENIED, 'PATH_RESERVED'],
  ['NUL byte', (f) => `${ws(f, 'job/ok.txt')}\0.png`, status.INVALID_ARGUMENT, 'PATH_INVALID'],
  ['very long path (over PATH_MAX)', (f) => `${ws(f, 'job')}/${'a/'.repeat(2100)}x`, status.INVALID_ARGUMENT, 'PATH_TOO_LONG'],
  ['very long name (over NAME_MAX)', (f) => ws(f, `job/${'n'.repeat(256)}`), status.INVALID_ARGUMENT, 'PATH_TOO_LONG'],
  ['a symlink out inside a source tree', (f) => ws(f, 'tree-with-escape'), status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT'],
];

const snapshot = async (f: TestFsops, outside: string) => JSON.stringify([
  await readdir(f.roots.artifacts, { recursive: true }), await readdir(outside, { recursive: true }),
  await readdir(join(f.roots.staging, '.fsops'), { recursive: true }),
]);

for (const [name, source, code, reason] of cases) {
  test(`Transfer source: ${name} → ${reason}`, async ({ f, outside }) => {
    const before = await snapshot(f, outside);
    const request = transferRequest({ key: `esc/${randomUUID()}`, source: source(f, outside), destination: join(f.roots.artifacts, 'dst'), mode: TransferMode.TRANSFER_MODE_COPY });
    await expectStatus(runTransferCall(f.client, request), code, { reason });
    assert.is(await snapshot(f, outside), before, 'nothing was written anywhere');
  });
}

test('the same escapes as Transfer destination, Stat, List and Remove are refused too; the outside stays intact', async ({ f, outside }) => {
  const source = ws(f, 'job/ok.txt');
  for (const [name, path, code, reason] of cases.slice(0, -1)) {
    const target = path(f, outside);
    const label = `${name}: ${reason}`;
    await expectStatus(runTransferCall(f.client, transferRequest({ key: `esc/${randomUUID()}`, source, destination: target, mode: TransferMode.TRANSFER_MODE_COPY })),
      code, { reason }).catch((e: unknown) => { throw new Error(`destination ${label}: ${String(e)}`); });
    await expectStatus(withDeadline(f.client.remove({ path: target }), 5000, 'remove'), code, { reason });
    await expectStatus(withDeadline(f.client.list({ path: target }), 5000, 'list'), code, { reason });
  }
  await expectStatus(withDeadline(f.client.stat({ path: '/etc/passwd' }), 5000, 'stat'), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  assert.is((await import('node:fs/promises').then((fs) => fs.readFile(join(outside, 'secret.txt'), 'utf8'))), 'secret');
  assert.ok(existsSync(join(outside, 'secret.txt')));
});

test.run();
