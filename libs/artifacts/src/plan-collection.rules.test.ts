import { isMeshError, status } from '@jobmesh/grpc-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planCollection, type ListedEntry } from './plan-collection.ts';

const root = '/w';
const file = (path: string, size = 1, mode = 0o100644): ListedEntry => ({ kind: 'file', path, size, mode });
const link = (path: string, target: string, targetKind: 'file' | 'dir' | 'missing', size = 0): ListedEntry => ({ kind: 'link', path, target, targetKind, size, mode: 0o644 });
const limits = { root, maxFiles: 10, maxBytes: 100 };
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.unreachable('expected a refusal');
};

test('selects files, keeps permission bits only, sums bytes, reports unmatched patterns', () => {
  const plan = planCollection([file('out/a', 3, 0o100755), file('out/b/c', 4), file('x', 9)], ['out/**', 'none/*'], limits);
  assert.equal(plan, { files: [{ path: 'out/a', size: 3, mode: 0o755 }, { path: 'out/b/c', size: 4, mode: 0o644 }], unmatched: ['none/*'], bytesTotal: 7 });
});

test('a symlink to a file inside is followed; to a folder or nowhere inside it is skipped', () => {
  const plan = planCollection([link('out/l', '/w/x', 'file', 5), link('out/d', '/w/out', 'dir'), link('out/m', '/w/gone', 'missing')], ['out/**'], limits);
  assert.equal(plan.files, [{ path: 'out/l', size: 5, mode: 0o644 }]);
});

test('a selected symlink out of the workspace is refused, naming it; an unselected one is not', () => {
  const error = refusal(() => planCollection([file('out/a'), link('out/etc', '/etc/passwd', 'file', 10)], ['out/**'], limits));
  assert.ok(isMeshError(error, status.PERMISSION_DENIED) && error.reason === 'ARTIFACT_PATH_ESCAPES' && error.message.includes('out/etc'));
  assert.is(planCollection([file('out/a'), link('elsewhere', '/etc', 'dir')], ['out/**'], limits).files.length, 1);
  // A sibling folder whose name starts like the root is outside too.
  assert.ok(isMeshError(refusal(() => planCollection([link('out/s', '/w2/x', 'file')], ['out/**'], limits)), status.PERMISSION_DENIED));
});

test('over the file count or the byte cap: FAILED_PRECONDITION before anything is copied', () => {
  const many = Array.from({ length: 11 }, (_, i) => file(`out/${i}`));
  const tooMany = refusal(() => planCollection(many, ['out/**'], limits));
  assert.ok(isMeshError(tooMany, status.FAILED_PRECONDITION) && tooMany.reason === 'ARTIFACT_LIMIT_EXCEEDED');
  const tooBig = refusal(() => planCollection([file('out/a', 60), file('out/b', 41)], ['out/**'], limits));
  assert.ok(isMeshError(tooBig, status.FAILED_PRECONDITION) && tooBig.reason === 'ARTIFACT_LIMIT_EXCEEDED');
});

test.run();
