import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { execFile } from 'node:child_process';
import { chmod, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repositoryFileWireMaxBytes } from '../src/workspaces/create-read-repository-file-handler.ts';
import { bytes, makeGitRepo, startTestFsops, type GitRepo, type TestFsops } from './support/index.ts';

const git = promisify(execFile);
const MiB = 1024 * 1024;
type Ctx = { f: TestFsops; repo: GitRepo; first: string; second: string };
const test = suite<Ctx>('ReadRepositoryFile reads one file of a commit from the mirror');

test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
  await chmod(ctx.f.base, 0o755);
  ctx.repo = await makeGitRepo(join(ctx.f.base, 'origin-repo'));
  await symlink('README.md', join(ctx.repo.dir, 'link'));
  await writeFile(join(ctx.repo.dir, 'binary.bin'), bytes(4096, 7));
  ctx.first = await ctx.repo.commit({ 'README.md': 'one\n', 'ci/pipeline.yaml': 'jobs: []\n', 'big.txt': 'x'.repeat(MiB + 1) }, 'first');
  // A submodule entry (gitlink) pointing at the first commit, without a .gitmodules: only the tree entry matters.
  // (Committed by hand: the helper's `git add --all` would drop it, as no vendor/lib exists on disk.)
  const inRepo = { cwd: ctx.repo.dir };
  await git('git', ['update-index', '--add', '--cacheinfo', `160000,${ctx.first},vendor/lib`], inRepo);
  await git('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'second: a submodule'], inRepo);
  ctx.second = (await git('git', ['rev-parse', 'HEAD'], inRepo)).stdout.trim();
});
test.after(async (ctx) => {
  await ctx.f?.stop();
});

const read = (f: TestFsops, repoUrl: string, commitSha: string, path: string, maxBytes = 0) =>
  withDeadline(f.client.readRepositoryFile({ repoUrl, commitSha, path, maxBytes }), 30_000, `read ${path}`);
const text = async (call: Promise<{ content: Buffer }>) => Buffer.from((await call).content).toString('utf8');

test('reads a file and one in a subfolder, byte for byte, without a checkout', async ({ f, repo, first }) => {
  assert.is(await text(read(f, repo.url, first, 'README.md')), 'one\n');
  assert.is(await text(read(f, repo.url, first, 'ci/pipeline.yaml')), 'jobs: []\n');
  assert.ok(Buffer.from((await read(f, repo.url, first, 'binary.bin')).content).equals(bytes(4096, 7)));
  assert.equal(await readdir(f.roots.workspace), [], 'nothing checked out');
  assert.is((await readdir(f.mirrorsDir)).length, 1, 'one mirror');
});

test('a commit made later is fetched into the mirror; the older commit still reads the older content', async ({ f, repo, first }) => {
  const third = await repo.commit({ 'README.md': 'three\n' }, 'third');
  assert.is(await text(read(f, repo.url, third, 'README.md')), 'three\n');
  assert.is(await text(read(f, repo.url, first, 'README.md')), 'one\n');
});

test('a read touches the mirror (its mtime is its last use, for PruneMirrors)', async ({ f, repo, first }) => {
  const mirror = join(f.mirrorsDir, (await readdir(f.mirrorsDir))[0]!);
  const old = new Date(Date.now() - 86_400_000);
  await utimes(mirror, old, old);
  await read(f, repo.url, first, 'README.md');
  assert.ok((await stat(mirror)).mtimeMs > Date.now() - 60_000);
});

test('a missing path, a directory, a symlink and a submodule are NOT_FOUND (FILE_NOT_FOUND, path)', async ({ f, repo, second }) => {
  for (const path of ['nope.txt', 'ci/nope.yaml', 'README.md/below-a-file', 'link/below-a-symlink', 'ci', 'link', 'vendor/lib', '*.md']) {
    await expectStatus(read(f, repo.url, second, path), status.NOT_FOUND, { reason: 'FILE_NOT_FOUND', field: 'path' });
  }
  const directory = await expectStatus(read(f, repo.url, second, 'ci'), status.NOT_FOUND, { reason: 'FILE_NOT_FOUND' });
  assert.match(directory.message, 'directory');
  assert.match((await expectStatus(read(f, repo.url, second, 'link'), status.NOT_FOUND)).message, 'symbolic link');
  assert.match((await expectStatus(read(f, repo.url, second, 'vendor/lib'), status.NOT_FOUND)).message, 'submodule');
});

test('over max_bytes (1 MiB when 0) is FAILED_PRECONDITION (FILE_TOO_LARGE, path); exactly max_bytes reads', async ({ f, repo, first }) => {
  await expectStatus(read(f, repo.url, first, 'big.txt'), status.FAILED_PRECONDITION, { reason: 'FILE_TOO_LARGE', field: 'path' });
  await expectStatus(read(f, repo.url, first, 'README.md', 3), status.FAILED_PRECONDITION, { reason: 'FILE_TOO_LARGE', field: 'path' });
  assert.is(await text(read(f, repo.url, first, 'README.md', 4)), 'one\n');
  assert.is((await read(f, repo.url, first, 'big.txt', 2 * MiB)).content.length, MiB + 1);
});

test('at max_bytes 16 MiB, a file as big as a 16 MiB response can carry reads whole; 16 MiB itself is FILE_TOO_LARGE', async ({ f, repo }) => {
  const sha = await repo.commit({ 'huge.txt': 'h'.repeat(repositoryFileWireMaxBytes), 'huger.txt': 'h'.repeat(16 * MiB) }, 'huge');
  assert.is((await read(f, repo.url, sha, 'huge.txt', 16 * MiB)).content.length, repositoryFileWireMaxBytes);
  await expectStatus(read(f, repo.url, sha, 'huger.txt', 16 * MiB), status.FAILED_PRECONDITION, { reason: 'FILE_TOO_LARGE', field: 'path' });
});

test('bad paths and max_bytes are INVALID_ARGUMENT naming the field, as are repo_url and commit_sha', async ({ f, repo, first }) => {
  for (const path of ['', '/README.md', '../README.md', 'ci/../README.md', 'ci/..', 'a\0b', './README.md', 'ci//pipeline.yaml', 'ci/', 'x'.repeat(4097)]) {
    await expectStatus(read(f, repo.url, first, path), status.INVALID_ARGUMENT, { field: 'path' });
  }
  for (const maxBytes of [-1, 16 * MiB + 1]) {
    await expectStatus(read(f, repo.url, first, 'README.md', maxBytes), status.INVALID_ARGUMENT, { field: 'max_bytes' });
  }
  await expectStatus(read(f, 'ext::sh -c touch% /tmp/pwned', first, 'README.md'), status.INVALID_ARGUMENT, { field: 'repo_url' });
  await expectStatus(read(f, repo.url, 'HEAD', 'README.md'), status.INVALID_ARGUMENT, { field: 'commit_sha' });
});

test('an unknown commit is NOT_FOUND (COMMIT_NOT_FOUND); an unreachable repository FAILED_PRECONDITION (REPOSITORY_UNREACHABLE)', async ({ f, repo }) => {
  const unknown = 'f'.repeat(40);
  const error = await expectStatus(read(f, repo.url, unknown, 'README.md'), status.NOT_FOUND, { reason: 'COMMIT_NOT_FOUND' });
  assert.ok(error.message.includes(unknown), 'the message names the commit');
  await expectStatus(read(f, `file://${f.base}/no-such-repo`, unknown, 'README.md'), status.FAILED_PRECONDITION, { reason: 'REPOSITORY_UNREACHABLE' });
});

test.run();
