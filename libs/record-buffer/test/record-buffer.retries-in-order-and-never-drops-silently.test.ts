import { createLogger } from '@jobmesh/logger';
import { invalidArgument, unavailable } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordBuffer } from '../src/index.ts';

const quietLogger = (lines: string[]) => createLogger('test', { sink: (line) => lines.push(line), level: 'debug' });

test('records go out in order, in batches, and are retried while the receiver is down', async () => {
  const received: number[] = [];
  let down = true;
  const changes: boolean[] = [];
  const buffer = createRecordBuffer<number>({
    logger: quietLogger([]),
    maxBatch: 3,
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    onDegradedChange: (d) => changes.push(d),
    send: async (batch) => {
      if (down) throw unavailable('DOWN', 'receiver down');
      received.push(...batch);
    },
  });
  for (let i = 0; i < 10; i++) buffer.add(i);
  await new Promise((r) => setTimeout(r, 60));
  assert.is(buffer.stats().degraded, true);
  assert.is(buffer.stats().buffered, 10);
  down = false;
  assert.ok(await withDeadline(buffer.flush(2000), 3000, 'flush'));
  assert.equal(received, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(changes, [true, false]);
  assert.equal(buffer.stats(), { buffered: 0, sent: 10, dropped: 0, degraded: false });
  await buffer.close();
});

test('overflow drops the oldest record, logged and counted', async () => {
  const lines: string[] = [];
  const buffer = createRecordBuffer<string>({ logger: quietLogger(lines), maxBuffered: 2, initialBackoffMs: 1000, send: async () => { throw unavailable('DOWN', 'down'); } });
  buffer.add('a');
  buffer.add('b');
  buffer.add('c');
  assert.is(buffer.stats().dropped, 1);
  assert.ok(lines.some((l) => l.includes('record buffer full') && l.includes('\\"a\\"')));
  await buffer.close(10);
  assert.is(buffer.stats().dropped, 3);
});

test('a record refused for good is dropped and logged; the others still go out', async () => {
  const lines: string[] = [];
  const received: string[] = [];
  const buffer = createRecordBuffer<string>({
    logger: quietLogger(lines),
    send: async (batch) => {
      if (batch.includes('bad')) throw invalidArgument('events[1].state', 'unknown value');
      received.push(...batch);
    },
  });
  for (const r of ['x', 'bad', 'y']) buffer.add(r);
  assert.ok(await withDeadline(buffer.flush(2000), 3000, 'flush'));
  assert.equal(received, ['x', 'y']);
  assert.is(buffer.stats().dropped, 1);
  assert.ok(lines.some((l) => l.includes('persistence refused a record') && l.includes('bad')));
  await buffer.close();
});

test.run();
