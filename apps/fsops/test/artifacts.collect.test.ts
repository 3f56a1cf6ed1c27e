import { FsJobKind, FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestSha256 } from '@jobmesh/artifacts';
import { startTestFsops, writeTree, type TestFsops } from './support/index.ts';

const test = suite<{ p: TestPersistence; f: TestFsops }>('artifact collection');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.f = await withDeadline(startTestFsops({ persistenceAddress: ctx.p.address }), 30_000, 'start fsops');
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  await ctx.p?.stop();
});

const collect = (f: TestFsops, jobRequestId: string, workspacePath: string, patterns: string[], mode: TransferMode) =>
  withDeadline(f.client.collectArtifacts({ jobRequestId, workspacePath, patterns, mode, stagedPath: '' }), 30_000, 'collect');

test('moves the matches (files and matched directories) into <artifacts>/<job>, keeps the rest, repeats idempotently', async ({ f, p }) => {
  const workspace = join(f.roots.workspace, 'job-a');
  const hashes = await writeTree(workspace, {
    'dist/app.tar.gz': 'tarball', 'dist/app.sha': 'sum', 'reports/junit.xml': '<xml/>', 'reports/deep/cov.txt': 'cov', 'src/main.c': 'code', '.git/HEAD': 'ref',
  });
  const job = randomUUID();
  const response = await collect(f, job, workspace, ['dist/*.tar.gz', 'reports', '**/*.nothing'], TransferMode.TRANSFER_MODE_MOVE);
  assert.is(response.artifactDir, join(f.roots.artifacts, job));
  assert.equal(response.files.map((x) => x.path), ['dist/app.tar.gz', 'reports/deep/cov.txt', 'reports/junit.xml']);
  for (const file of response.files) assert.is(file.sha256, hashes[file.path]);
  assert.is(response.manifestSha256, manifestSha256(response.files));
  assert.is(response.modeUsed, TransferMode.TRANSFER_MODE_MOVE);
  assert.is(await readFile(join(response.artifactDir, 'reports/deep/cov.txt'), 'utf8'), 'cov');
  assert.not.ok(existsSync(join(workspace, 'dist/app.tar.gz')), 'moved files left the workspace');
  assert.ok(existsSync(join(workspace, 'dist/app.sha')) && existsSync(join(workspace, 'src/main.c')), 'the rest stays');
  const again = await collect(f, job, workspace, ['dist/*.tar.gz', 'reports', '**/*.nothing'], TransferMode.TRANSFER_MODE_MOVE);
  assert.equal(again, response);
  const row = await withDeadline((async () => {
    for (;;) {
      const found = await p.clients.fsJobs.getFsJob({ id: `collect:${job}` }).then((r) => r.fsJob, () => undefined);
      if (found?.state === FsJobState.FS_JOB_STATE_COMPLETED) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(), 10_000, 'collect row');
  assert.is(row.kind, FsJobKind.FS_JOB_KIND_COLLECT_ARTIFACTS);
  assert.is(row.jobRequestId, job);
  assert.is(row.snapshot.length, 3);
});

test('hardlink collection shares inodes; .git is never collected', async ({ f }) => {
  const workspace = join(f.roots.workspace, 'job-b');
  await writeTree(workspace, { 'out/a.bin': 'a', '.git/config': 'x' });
  const job = randomUUID();
  const response = await collect(f, job, workspace, ['**'], TransferMode.TRANSFER_MODE_HARDLINK);
  assert.equal(response.files.map((x) => x.path), ['out/a.bin']);
  assert.is((await stat(join(response.artifactDir, 'out/a.bin'))).ino, (await stat(join(workspace, 'out/a.bin'))).ino);
});

test('refusals: bad job, patterns escaping, a workspace outside the workspace root, a symlink out of the workspace', async ({ f }) => {
  const workspace = join(f.roots.workspace, 'job-c');
  await writeTree(workspace, { 'ok.txt': 'ok' });
  const job = randomUUID();
  await expectStatus(collect(f, 'nope', workspace, ['*'], TransferMode.TRANSFER_MODE_COPY), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(collect(f, job, workspace, [], TransferMode.TRANSFER_MODE_COPY), status.INVALID_ARGUMENT, { field: 'patterns' });
  await expectStatus(collect(f, job, workspace, ['../*'], TransferMode.TRANSFER_MODE_COPY), status.INVALID_ARGUMENT, { field: 'patterns[0]' });
  await expectStatus(collect(f, job, workspace, ['ok.txt', '/etc/*'], TransferMode.TRANSFER_MODE_COPY), status.INVALID_ARGUMENT, { field: 'patterns[1]' });
  await expectStatus(collect(f, job, workspace, ['*'], TransferMode.TRANSFER_MODE_UNSPECIFIED), status.INVALID_ARGUMENT, { field: 'mode' });
  await expectStatus(collect(f, job, '/etc', ['*'], TransferMode.TRANSFER_MODE_COPY), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(collect(f, job, join(f.roots.staging, 'x'), ['*'], TransferMode.TRANSFER_MODE_COPY), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
  await expectStatus(collect(f, job, join(f.roots.workspace, 'missing'), ['*'], TransferMode.TRANSFER_MODE_COPY), status.NOT_FOUND, { reason: 'PATH_NOT_FOUND' });
  const outside = await mkdtemp(join(tmpdir(), 'fsops-outside-'));
  try {
    await writeFile(join(outside, 'secret'), 'secret');
    await symlink(join(outside, 'secret'), join(workspace, 'leak.txt'));
    await expectStatus(collect(f, job, workspace, ['*.txt'], TransferMode.TRANSFER_MODE_MOVE), status.PERMISSION_DENIED, { reason: 'PATH_OUTSIDE_ROOT' });
    assert.not.ok(existsSync(join(f.roots.artifacts, job)), 'nothing was collected');
    assert.ok(existsSync(join(workspace, 'ok.txt')) && existsSync(join(outside, 'secret')));
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test.run();
