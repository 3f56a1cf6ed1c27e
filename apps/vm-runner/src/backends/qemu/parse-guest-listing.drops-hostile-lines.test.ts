import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGuestListing } from './parse-guest-listing.ts';

test('files and symlinks, ./ prefixes stripped, a symlink described by its L line', () => {
  const { entries, dropped } = parseGuestListing([
    'F 81a4 2 ./out/a.txt',
    'F 81ed 10 out/run me.sh',
    'F a1ff 11 out/etc',
    'L file 1221 81a4 out/etc\t/etc/passwd',
    'L dir 0 0 out/d\t/w/out',
  ]);
  assert.equal(dropped, []);
  assert.equal(entries, [
    { kind: 'file', path: 'out/a.txt', size: 2, mode: 0o644 },
    { kind: 'file', path: 'out/run me.sh', size: 10, mode: 0o755 },
    { kind: 'link', path: 'out/etc', targetKind: 'file', size: 1221, mode: 0o644, target: '/etc/passwd' },
    { kind: 'link', path: 'out/d', targetKind: 'dir', size: 0, mode: 0, target: '/w/out' },
  ]);
});

test('a hostile guest cannot name a host path: .., absolute, empty parts and junk are dropped', () => {
  const { entries, dropped } = parseGuestListing(['F 81a4 5 out/../../etc/shadow', 'F 81a4 5 /etc/shadow', 'F 81a4 5 out//x', 'L file 1 81a4 ../x\t/x', 'garbage', 'F 41ed 4096 out/dir']);
  assert.equal(entries, []);
  assert.is(dropped.length, 6);
});

test.run();
