import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTokenFile } from './load-token-file.ts';
import { requiredRole, roleAllows } from './token-roles.ts';

test('roles and tokens are read; comments and blank lines skipped; tokens kept only as digests', () => {
  const entries = parseTokenFile('# comment\n\nread  aaaaaaaaaaaaaaaa\r\nadmin\tbbbbbbbbbbbbbbbb\n');
  assert.equal(entries.map((e) => [e.role, e.line, e.digest.length]), [['read', 3, 32], ['admin', 4, 32]]);
});

test('every bad line is reported by number, never echoing a token', () => {
  try {
    parseTokenFile('owner cccccccccccccccc\nread short\nsubmit dddddddddddddddd extra\nread\nsubmit eeeeeeeeeeeeeeee\nadmin eeeeeeeeeeeeeeee\n');
    assert.unreachable('parsed');
  } catch (error) {
    const message = (error as Error).message;
    for (const line of [1, 2, 3, 4, 6]) assert.ok(message.includes(`line ${line}:`), message);
    assert.ok(!message.includes('line 5:') && !message.includes('cccc') && !message.includes('short') && !message.includes('eeee'), message);
  }
});

test('an empty file is refused (unset the variable to turn authentication off)', () => {
  assert.throws(() => parseTokenFile('# nothing\n'), /no token/);
});

test('read ⊂ submit ⊂ admin; unknown methods need admin', () => {
  assert.is(requiredRole('/jobmesh.orchestrator.v1.JobService/GetJob'), 'read');
  assert.is(requiredRole('/jobmesh.orchestrator.v1.JobService/SubmitJob'), 'submit');
  assert.is(requiredRole('/jobmesh.orchestrator.v1.JobService/CancelJob'), 'admin');
  assert.is(requiredRole('/jobmesh.orchestrator.v1.JobService/Future'), 'admin');
  assert.ok(roleAllows('admin', 'read') && roleAllows('submit', 'read') && !roleAllows('read', 'submit') && !roleAllows('submit', 'admin'));
});

test.run();
