import { createLogger } from '@jobmesh/logger';
import { invalidArgument, unavailable } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordBuffer, type RecordBufferOptions } from '../src/index.ts';

const test = suite<{ base: string }>('record buffer');
test.before((ctx) => void (ctx.base = mkdtempSync(join(tmpdir(), 'record-buffer-'))));
test.after((ctx) => rmSync(ctx.base, { recursive: true, force: true }));

const quietLogger = (lines: string[]) => createLogger('test', { sink: (line) => lines.push(line), level: 'debug' });
let dirs = 0;
/** Options with a fresh journal in `base` (or `journalDir`) and a JSON codec. */
function options<T>(base: string, rest: Omit<RecordBufferOptions<T>, 'journalDir' | 'encode' | 'decode' | 'logger'> & { logger?: RecordBufferOptions<T>['logger']; journalDir?: string }): RecordBufferOptions<T> {
  return { journalDir: join(base, `j${++dirs}`), logger: quietLogger([]), encode: (r) => JSON.stringify(r), decode: (l) => JSON.parse(l) as T, ...rest };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('records go out in order, in batches, and are retried while the receiver is down', async ({ base }) => {
  const received: number[] = [];
  let down = true;
  const changes: boolean[] = [];
  const buffer = createRecordBuffer<number>(options(base, {
    maxBatch: 3,
    initialBackoffMs: 5,
    maxBackoffMs: 20,
    onDegradedChange: (d) => changes.push(d),
    send: async (batch) => {
      if (down) throw unavailable('DOWN', 'receiver down');
      received.push(...batch);
    },
  }));
  for (let i = 0; i < 10; i++) buffer.add(i);
  await sleep(60);
  assert.is(buffer.stats().degraded, true);
  assert.is(buffer.stats().buffered, 10);
  down = false;
  assert.ok(await withDeadline(buffer.flush(2000), 3000, 'flush'));
  assert.equal(received, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(changes, [true, false]);
  assert.equal(buffer.stats(), { buffered: 0, sent: 10, dropped: 0, degraded: false });
  await buffer.close();
});

test('past maxBuffered records wait in the journal, not in memory: none is dropped, all go out in order', async ({ base }) => {
  const received: string[] = [];
  let down = true;
  const buffer = createRecordBuffer<string>(options(base, {
    maxBuffered: 2,
    maxBatch: 2,
    initialBackoffMs: 5,
    maxBackoffMs: 10,
    send: async (batch) => {
      if (down) throw unavailable('DOWN', 'down');
      received.push(...batch);
    },
  }));
  const records = Array.from({ length: 25 }, (_, i) => `r${i}`);
  for (const record of records) buffer.add(record);
  assert.equal(buffer.stats(), { buffered: 25, sent: 0, dropped: 0, degraded: buffer.stats().degraded });
  down = false;
  assert.ok(await withDeadline(buffer.flush(3000), 4000, 'flush'));
  assert.equal(received, records);
  assert.is(buffer.stats().dropped, 0);
  await buffer.close();
});

test('records a stopped (or killed) process left unsent go out first from the next one, in order; a half-written last line is cut', async ({ base }) => {
  const journalDir = join(base, 'restart');
  const first = createRecordBuffer<string>(options(base, { journalDir, maxBuffered: 3, initialBackoffMs: 1000, send: async () => { throw unavailable('DOWN', 'down'); } }));
  for (const r of ['a', 'b', 'c', 'd', 'e']) first.add(r);
  await first.close(10);
  assert.is(first.stats().dropped, 0, 'closing keeps them in the journal');
  appendFileSync(join(journalDir, 'journal'), '"half-writ'); // a kill in the middle of an append

  const received: string[] = [];
  const lines: string[] = [];
  const second = createRecordBuffer<string>(options(base, { journalDir, logger: quietLogger(lines), maxBuffered: 3, send: async (batch) => void received.push(...batch) }));
  assert.is(second.stats().buffered, 5);
  second.add('f');
  assert.ok(await withDeadline(second.flush(2000), 3000, 'flush'));
  assert.equal(received, ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.ok(lines.some((l) => l.includes('left unsent by the previous run')));
  assert.is(statSync(join(journalDir, 'journal')).size, 0, 'the journal is emptied once everything is stored');
  await second.close();
});

test('a record refused for good is dropped and logged; the others still go out', async ({ base }) => {
  const lines: string[] = [];
  const received: string[] = [];
  const buffer = createRecordBuffer<string>(options(base, {
    logger: quietLogger(lines),
    send: async (batch) => {
      if (batch.includes('bad')) throw invalidArgument('events[1].state', 'unknown value');
      received.push(...batch);
    },
  }));
  for (const r of ['x', 'bad', 'y']) buffer.add(r);
  assert.ok(await withDeadline(buffer.flush(2000), 3000, 'flush'));
  assert.equal(received, ['x', 'y']);
  assert.is(buffer.stats().dropped, 1);
  assert.ok(lines.some((l) => l.includes('persistence refused a record') && l.includes('bad')));
  await buffer.close();
});

test('a full journal drops the new record, logged and counted; the held ones still go out', async ({ base }) => {
  const lines: string[] = [];
  let down = true;
  const received: string[] = [];
  const buffer = createRecordBuffer<string>(options(base, {
    logger: quietLogger(lines),
    maxJournalBytes: 20,
    initialBackoffMs: 5,
    maxBackoffMs: 10,
    send: async (batch) => {
      if (down) throw unavailable('DOWN', 'down');
      received.push(...batch);
    },
  }));
  for (const r of ['aaaa', 'bbbb', 'cccc', 'dddd']) buffer.add(r); // 7 bytes a line: the fourth finds 21 ≥ 20
  assert.is(buffer.stats().dropped, 1);
  assert.ok(lines.some((l) => l.includes('record journal full') && l.includes('dddd')));
  down = false;
  assert.ok(await withDeadline(buffer.flush(2000), 3000, 'flush'));
  assert.equal(received, ['aaaa', 'bbbb', 'cccc']);
  await buffer.close();
});

test.run();
