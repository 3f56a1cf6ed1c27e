import { FsJobKind, FsJobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeGitRepo, startTestFsops, type GitRepo, type TestFsops } from './support/index.ts';

const git = promisify(execFile);
const test = suite<{ p: TestPersistence; f: TestFsops; repo: GitRepo; commits: string[] }>('workspace checkout from git');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.f = await withDeadline(startTestFsops({ persistenceAddress: ctx.p.address }), 30_000, 'start fsops');
  ctx.repo = await makeGitRepo(join(ctx.f.base, 'origin-repo'));
  ctx.commits = [
    await ctx.repo.commit({ 'README.md': 'one\n', 'src/main.c': 'int main() { return 1; }\n' }, 'first'),
    await ctx.repo.commit({ 'README.md': 'two\n' }, 'second'),
  ];
});
test.after(async (ctx) => {
  await ctx.f?.stop();
  await ctx.p?.stop();
});

const prepare = (f: TestFsops, key: string, repoUrl: string, commitSha: string, jobRequestId = '') =>
  withDeadline(f.client.prepareWorkspace({ key, repoUrl, commitSha, jobRequestId }), 30_000, `prepare ${key}`);

test('checks out a local repository (file://) at the given, older commit, and records the fs job', async ({ f, p, repo, commits }) => {
  const job = randomUUID();
  const response = await prepare(f, 'ws-first', repo.url, commits[0]!, job);
  assert.is(response.workspacePath, join(f.roots.workspace, 'ws-first'));
  assert.is(response.commitSha, commits[0]);
  assert.is(await readFile(join(response.workspacePath, 'README.md'), 'utf8'), 'one\n');
  assert.ok(existsSync(join(response.workspacePath, 'src/main.c')));
  const head = (await git('git', ['rev-parse', 'HEAD'], { cwd: response.workspacePath })).stdout.trim();
  assert.is(head, commits[0]);
  assert.equal((await readdir(f.roots.workspace)).filter((n) => n.includes('fsops-tmp')), [], 'no temporary checkout left');
  const row = await withDeadline((async () => {
    for (;;) {
      const found = await p.clients.fsJobs.getFsJob({ id: 'checkout:ws-first' }).then((r) => r.fsJob, () => undefined);
      if (found?.state === FsJobState.FS_JOB_STATE_COMPLETED) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(), 10_000, 'checkout row');
  assert.is(row.kind, FsJobKind.FS_JOB_KIND_CHECKOUT);
  assert.is(row.source, repo.url);
  assert.is(row.jobRequestId, job);
});

test('the same key again is idempotent; another commit on it is ALREADY_EXISTS', async ({ f, repo, commits }) => {
  const again = await prepare(f, 'ws-first', repo.url, commits[0]!);
  assert.is(again.commitSha, commits[0]);
  await expectStatus(prepare(f, 'ws-first', repo.url, commits[1]!), status.ALREADY_EXISTS, { reason: 'WORKSPACE_CONFLICT' });
});

test('one mirror per repository: a second checkout of a new commit fetches into it', async ({ f, repo }) => {
  const mirrors = await readdir(f.mirrorsDir);
  assert.is(mirrors.length, 1);
  const packsBefore = await readdir(join(f.mirrorsDir, mirrors[0]!, 'objects/pack')).catch((): string[] => []);
  const mirrorInode = (await stat(join(f.mirrorsDir, mirrors[0]!))).ino;
  const third = await repo.commit({ 'new.txt': 'new\n' }, 'third');
  const response = await prepare(f, 'ws-third', repo.url, third);
  assert.is(await readFile(join(response.workspacePath, 'new.txt'), 'utf8'), 'new\n');
  assert.equal(await readdir(f.mirrorsDir), mirrors, 'the same mirror was reused');
  assert.is((await stat(join(f.mirrorsDir, mirrors[0]!))).ino, mirrorInode, 'not cloned again');
  const packsAfter = await readdir(join(f.mirrorsDir, mirrors[0]!, 'objects/pack')).catch((): string[] => []);
  for (const pack of packsBefore) assert.ok(packsAfter.includes(pack), 'earlier objects were kept, only new ones fetched');
  const inMirror = await git('git', ['cat-file', '-t', third], { cwd: join(f.mirrorsDir, mirrors[0]!) });
  assert.is(inMirror.stdout.trim(), 'commit');
});

test('an unknown commit is NOT_FOUND naming it; bad fields are INVALID_ARGUMENT; an unreachable repository FAILED_PRECONDITION', async ({ f, repo }) => {
  const unknown = 'f'.repeat(40);
  const error = await expectStatus(prepare(f, 'ws-unknown', repo.url, unknown), status.NOT_FOUND, { reason: 'COMMIT_NOT_FOUND' });
  assert.ok(error.message.includes(unknown), 'the message names the commit');
  assert.not.ok(existsSync(join(f.roots.workspace, 'ws-unknown')));
  await expectStatus(prepare(f, '../escape', repo.url, unknown), status.INVALID_ARGUMENT, { field: 'key' });
  await expectStatus(prepare(f, '.hidden', repo.url, unknown), status.INVALID_ARGUMENT, { field: 'key' });
  await expectStatus(prepare(f, 'ws-x', 'ext::sh -c touch% /tmp/pwned', unknown), status.INVALID_ARGUMENT, { field: 'repo_url' });
  await expectStatus(prepare(f, 'ws-x', '--upload-pack=touch /tmp/pwned', unknown), status.INVALID_ARGUMENT, { field: 'repo_url' });
  await expectStatus(prepare(f, 'ws-x', repo.url, 'HEAD'), status.INVALID_ARGUMENT, { field: 'commit_sha' });
  await expectStatus(prepare(f, 'ws-x', repo.url, unknown, 'not-a-uuid'), status.INVALID_ARGUMENT, { field: 'job_request_id' });
  await expectStatus(prepare(f, 'ws-x', `file://${f.base}/no-such-repo`, unknown), status.FAILED_PRECONDITION, { reason: 'REPOSITORY_UNREACHABLE' });
});

test.run();
