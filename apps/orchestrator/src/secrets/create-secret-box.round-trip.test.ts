import { randomBytes } from 'node:crypto';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSecretBox } from './create-secret-box.ts';

const key = randomBytes(32);

test('seal then open gives the values back; the sealed text holds no value', () => {
  const box = createSecretBox(key);
  const sealed = box.seal('job-1', { TOKEN: 'super-secret-token', B: 'other' });
  assert.ok(!sealed.includes('super-secret-token') && !sealed.includes(Buffer.from('super-secret-token').toString('base64')));
  assert.equal(box.open('job-1', sealed), { B: 'other', TOKEN: 'super-secret-token' });
});

test('sealing is deterministic per job and values (idempotent submissions), different across jobs', () => {
  const box = createSecretBox(key);
  assert.is(box.seal('job-1', { A: '1', B: '2' }), box.seal('job-1', { B: '2', A: '1' }));
  assert.is.not(box.seal('job-1', { A: '1' }), box.seal('job-2', { A: '1' }));
  assert.is.not(box.seal('job-1', { A: '1' }), box.seal('job-1', { A: '2' }));
});

test('another key, another job id or an altered text is FAILED_PRECONDITION SECRETS_UNREADABLE', () => {
  const sealed = createSecretBox(key).seal('job-1', { A: 'secret' });
  const flip = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
  for (const [box, context, text] of [[createSecretBox(randomBytes(32)), 'job-1', sealed], [createSecretBox(key), 'job-2', sealed], [createSecretBox(key), 'job-1', flip], [createSecretBox(key), 'job-1', 'garbage']] as const) {
    try {
      box.open(context, text);
      assert.unreachable('opened');
    } catch (error) {
      assert.ok(isMeshError(error, status.FAILED_PRECONDITION, 'SECRETS_UNREADABLE'), String(error));
    }
  }
});

test('a key that is not 32 bytes is refused', () => {
  assert.throws(() => createSecretBox(randomBytes(16)), /32 bytes/);
});

test.run();
