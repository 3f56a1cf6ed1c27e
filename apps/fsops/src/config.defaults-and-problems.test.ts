import { ConfigError, parseConfig } from '@jobmesh/config';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fsopsConfigSchema } from './config.ts';

test('every variable has its documented default', () => {
  const config = parseConfig(fsopsConfigSchema, {});
  assert.is(config.address, '127.0.0.2:50054');
  assert.is(config.persistenceAddress, '127.0.0.2:50052');
  assert.equal(config.roots, {
    workspace: resolve('.jobmesh/fsops/workspaces'), staging: resolve('.jobmesh/fsops/staging'), artifacts: resolve('.jobmesh/fsops/artifacts'),
  });
  assert.is(config.mirrorsDir, resolve('.jobmesh/fsops/mirrors'));
  assert.is(config.copyChunkBytes, 1024 * 1024);
  assert.is(config.copyChunkDelayMs, 0);
  assert.is(config.gitTimeoutMs, 600_000);
  assert.is(config.shutdownGraceMs, 10_000);
});

test('every bad variable is reported at once', () => {
  try {
    parseConfig(fsopsConfigSchema, { JOBMESH_FSOPS_ADDR: 'nope', JOBMESH_FSOPS_COPY_CHUNK_BYTES: '12', JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS: '-1' });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    assert.equal(names.sort(), ['JOBMESH_FSOPS_ADDR', 'JOBMESH_FSOPS_COPY_CHUNK_BYTES', 'JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS']);
  }
});

test.run();
