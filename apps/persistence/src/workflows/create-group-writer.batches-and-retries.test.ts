import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGroupWriter } from './create-group-writer.ts';

const test = suite('group writer: batches by key and size, retries a failed batch one item at a time');

interface Item { key: string; size: number; bad?: boolean }

/** A writer over an in-memory table that records each batch and how many writes overlap. */
function recordingWriter(options: { failWholeBatchWith?: (items: Item[]) => Error | undefined } = {}) {
  const batches: string[][] = [];
  let running = 0;
  let mostRunning = 0;
  const write = async (items: Item[]) => {
    running++;
    mostRunning = Math.max(mostRunning, running);
    batches.push(items.map((i) => i.key));
    try {
      await new Promise((r) => setTimeout(r, 5));
      const failure = options.failWholeBatchWith?.(items);
      if (failure) throw failure;
      return items.map((i) => `wrote ${i.key}`);
    } finally {
      running--;
    }
  };
  return { write, batches, mostRunning: () => mostRunning };
}

test('an item with a key already in the batch waits for the next; the size cap splits batches, a bigger item goes alone', async () => {
  const w = recordingWriter();
  const writer = createGroupWriter(w.write, { maxBatch: 100, maxInFlight: 1, keyOf: (i: Item) => i.key, sizeOf: (i) => i.size, maxBatchSize: 10 });
  const first = writer.submit({ key: 'first', size: 1 }); // goes out at once, alone
  const rest = [
    { key: 'a', size: 4 }, { key: 'a', size: 1 }, { key: 'b', size: 4 }, { key: 'c', size: 4 }, { key: 'huge', size: 50 }, { key: 'd', size: 1 },
  ].map((item) => writer.submit(item));
  assert.equal(await Promise.all([first, ...rest]), ['wrote first', 'wrote a', 'wrote a', 'wrote b', 'wrote c', 'wrote huge', 'wrote d']);
  for (const batch of w.batches) assert.is(new Set(batch).size, batch.length, `no key twice in one batch: ${batch.join(',')}`);
  assert.equal(w.batches, [['first'], ['a', 'b', 'd'], ['a', 'c'], ['huge']]);
});

test('a batch that fails as a whole is retried item by item, one at a time: only the bad item fails', async () => {
  const w = recordingWriter({ failWholeBatchWith: (items) => (items.some((i) => i.bad) ? new Error('value refused') : undefined) });
  const writer = createGroupWriter(w.write, { maxBatch: 100, maxInFlight: 1, keyOf: (i: Item) => i.key });
  const blocker = writer.submit({ key: 'blocker', size: 1 });
  const results = await Promise.allSettled(['x', 'y', 'bad', 'z'].map((key) => writer.submit({ key, size: 1, bad: key === 'bad' })));
  await blocker;
  assert.equal(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['wrote x', 'wrote y', 'value refused', 'wrote z']);
  assert.equal(w.batches.slice(1), [['x', 'y', 'bad', 'z'], ['x'], ['y'], ['bad'], ['z']]);
  assert.is(w.mostRunning(), 1, 'the single retries never overlap');
});

test('a failure no item caused (retryAlone false) fails the whole batch at once, without retries', async () => {
  const down = new Error('database unavailable');
  const w = recordingWriter({ failWholeBatchWith: () => down });
  const writer = createGroupWriter(w.write, { maxBatch: 100, maxInFlight: 1, keyOf: (i: Item) => i.key, retryAlone: (error) => error !== down });
  const blocker = writer.submit({ key: 'blocker', size: 1 }).catch((e: Error) => e.message);
  const results = await Promise.allSettled(['p', 'q'].map((key) => writer.submit({ key, size: 1 })));
  assert.is(await blocker, 'database unavailable');
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason === down));
  assert.equal(w.batches, [['blocker'], ['p', 'q']]);
});

test.run();
