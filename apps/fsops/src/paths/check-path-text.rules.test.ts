import { MeshError, status } from '@jobmesh/grpc-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPathText } from './check-path-text.ts';

const refusal = (path: string) => {
  try {
    checkPathText('p', path);
  } catch (error) {
    assert.instance(error, MeshError);
    return [(error as MeshError).code, (error as MeshError).reason];
  }
  return undefined;
};

test('splits a clean absolute path, dropping empty and . components', () => {
  assert.equal(checkPathText('p', '/a//b/./c/'), ['a', 'b', 'c']);
});

test('refuses empty, relative, NUL, .., over-long paths and names, by reason', () => {
  assert.equal(refusal(''), [status.INVALID_ARGUMENT, 'PATH_INVALID']);
  assert.equal(refusal('a/b'), [status.INVALID_ARGUMENT, 'PATH_INVALID']);
  assert.equal(refusal('/a\0b'), [status.INVALID_ARGUMENT, 'PATH_INVALID']);
  assert.equal(refusal('/a/../b'), [status.PERMISSION_DENIED, 'PATH_OUTSIDE_ROOT']);
  assert.equal(refusal(`/${'x'.repeat(256)}`), [status.INVALID_ARGUMENT, 'PATH_TOO_LONG']);
  assert.equal(refusal(`/${'x/'.repeat(2048)}`), [status.INVALID_ARGUMENT, 'PATH_TOO_LONG']);
  assert.is(refusal(`/${'é'.repeat(127)}`), undefined, 'NAME_MAX counts bytes: 254 bytes pass');
  assert.equal(refusal(`/${'é'.repeat(128)}`), [status.INVALID_ARGUMENT, 'PATH_TOO_LONG']);
});

test.run();
