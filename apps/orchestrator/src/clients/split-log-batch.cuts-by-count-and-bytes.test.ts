import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitLogBatch } from './split-log-batch.ts';

const chunks = (...sizes: number[]) => sizes.map((size, seq) => ({ seq, data: new Uint8Array(size) }));
const seqs = (batches: { seq: number }[][]) => batches.map((batch) => batch.map((c) => c.seq));

test('splitLogBatch keeps order and cuts before a batch would pass the byte or the count cap', () => {
  assert.equal(seqs(splitLogBatch(chunks(4, 4, 4, 4, 4), { maxBytes: 8 })), [[0, 1], [2, 3], [4]]);
  assert.equal(seqs(splitLogBatch(chunks(1, 1, 1, 1, 1), { maxChunks: 2 })), [[0, 1], [2, 3], [4]]);
  assert.equal(seqs(splitLogBatch(chunks(3, 20, 3), { maxBytes: 8 })), [[0], [1], [2]], 'an oversized chunk goes alone');
  assert.equal(seqs(splitLogBatch(chunks(8, 0, 0), { maxBytes: 8 })), [[0, 1, 2]], 'exactly at the cap is within it');
  assert.equal(splitLogBatch([]), []);
  const defaults = splitLogBatch(Array.from({ length: 2500 }, (_, seq) => ({ seq, data: new Uint8Array(8 * 1024) })));
  assert.equal(defaults.map((b) => b.length), [1000, 1000, 500], '1000 chunks per call by default');
  const big = splitLogBatch(Array.from({ length: 20 }, (_, seq) => ({ seq, data: new Uint8Array(1024 * 1024) })));
  assert.equal(big.map((b) => b.length), [8, 8, 4], '8 MiB per call by default');
});

test.run();
