import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spreadSubdirectories } from '../src/index.ts';

const ext4Magic = 0xef53;
// lsattr fails on a filesystem without inode flags (tmpfs before Linux 6.0): no flags at all.
const flags = (dir: string) => {
  try {
    return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(' ')[0]!;
  } catch {
    return '';
  }
};

test('sets the Orlov top-of-hierarchy flag on a folder of an ext4 filesystem, and says whether it did', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jobmesh-spread-'));
  try {
    const folder = join(dir, 'vms');
    await mkdir(folder);
    const set = await spreadSubdirectories(folder);
    const onExt4 = (await statfs(folder)).type === ext4Magic;
    // chattr and lsattr come with e2fsprogs (a Debian package the tests install).
    if (onExt4) assert.ok(set, 'set on ext4');
    assert.is(flags(folder).includes('T'), set, `lsattr ${flags(folder)} agrees with the answer ${set}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a folder that does not exist: false, nothing thrown', async () => {
  assert.is(await spreadSubdirectories(join(tmpdir(), `jobmesh-missing-${process.pid}`, 'nowhere')), false);
});

test.run();
