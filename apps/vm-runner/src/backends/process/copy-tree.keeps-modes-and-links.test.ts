import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyTree } from './copy-tree.ts';

test('copyTree copies files with their mode, nested and read-only directories, and symlinks verbatim', async () => {
  const root = await mkdtemp(join(tmpdir(), 'copy-tree-'));
  try {
    const from = join(root, 'from');
    await mkdir(join(from, 'a', 'b'), { recursive: true });
    await writeFile(join(from, 'a', 'b', 'run.sh'), 'echo hi\n', { mode: 0o755 });
    await writeFile(join(from, 'plain.txt'), 'text');
    await symlink('a/b/run.sh', join(from, 'link'));
    await symlink('/nowhere/at/all', join(from, 'dangling'));
    await mkdir(join(from, 'locked'));
    await writeFile(join(from, 'locked', 'inside'), 'x');
    await chmod(join(from, 'locked'), 0o555);
    const to = join(root, 'deep', 'to');
    await copyTree(from, to);
    assert.is(await readFile(join(to, 'a', 'b', 'run.sh'), 'utf8'), 'echo hi\n');
    assert.is((await lstat(join(to, 'a', 'b', 'run.sh'))).mode & 0o777, 0o755);
    assert.is(await readFile(join(to, 'plain.txt'), 'utf8'), 'text');
    assert.is(await readlink(join(to, 'link')), 'a/b/run.sh');
    assert.is(await readlink(join(to, 'dangling')), '/nowhere/at/all');
    assert.is(await readFile(join(to, 'locked', 'inside'), 'utf8'), 'x');
    assert.is((await lstat(join(to, 'locked'))).mode & 0o777, 0o555);
    await chmod(join(to, 'locked'), 0o755);
    await chmod(join(from, 'locked'), 0o755);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
