import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogMasker } from './create-log-masker.ts';

/** Feeds `pieces` of one stream through a masker and returns all it let out. */
function run(secrets: string[], pieces: string[]): string {
  const masker = createLogMasker(secrets);
  const out = pieces.map((p) => masker.mask(1, Buffer.from(p)).toString());
  return out.join('') + masker.drain().map((r) => r.data.toString()).join('');
}

test('a secret inside one chunk, several times, is replaced', () => {
  assert.is(run(['hunter2-secret'], ['a hunter2-secret b hunter2-secret\n']), 'a *** b ***\n');
});

test('a secret split across chunks, even one byte per chunk, is replaced', () => {
  const secret = 's3cr3t-value';
  assert.is(run([secret], ['x=', 's3c', 'r3t-va', 'lue', ' done\n']), 'x=*** done\n');
  assert.is(run([secret], `[${secret}]`.split('')), '[***]');
});

test('no chunk lets out a prefix that could still become a secret', () => {
  const masker = createLogMasker(['abcdef']);
  assert.is(masker.mask(1, Buffer.from('xxabc')).toString(), 'xx');
  assert.is(masker.mask(1, Buffer.from('de')).toString(), '');
  assert.is(masker.mask(1, Buffer.from('f!')).toString(), '***!');
});

test('streams are masked apart: a secret split between stdout and stderr is not joined', () => {
  const masker = createLogMasker(['abcdef']);
  assert.is(masker.mask(1, Buffer.from('abc')).toString(), '');
  assert.is(masker.mask(2, Buffer.from('def')).toString(), 'def');
  assert.equal(masker.drain().map((r) => [r.stream, r.data.toString()]), [[1, 'abc']]);
  assert.equal(masker.drain(), []);
});

test('base64 of a secret is masked too; the longer of two overlapping secrets wins', () => {
  const secret = 'correct horse battery';
  assert.is(run([secret], [`b64=${Buffer.from(secret).toString('base64')}\n`]), 'b64=***\n');
  assert.is(run(['pass', 'password123'], ['password123 pass']), '*** ***');
});

test('without secrets the data goes through untouched; a partial secret at the end comes out in drain', () => {
  assert.is(run([], ['plain ', 'text']), 'plain text');
  assert.is(run(['abcdef'], ['ends with abc']), 'ends with abc');
});

test.run();
