import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogReader, RawChunk } from './create-log-reader.ts';
import { findLastOffset } from './find-last-offset.ts';
import { readLogPage } from './read-log-page.ts';

const KiB = 1024;

/** A log in memory that counts the chunk bytes handed out (StreamJobLogs reads forward only). */
function fakeReader(chunks: RawChunk[]) {
  const stats = { bytes: 0, calls: 0 };
  const reader: LogReader = {
    startsAtTheBeginning: false,
    async *chunks(from, until = Infinity) {
      stats.calls++;
      for (const chunk of chunks) {
        if (chunk.offset < (reader.startsAtTheBeginning ? 0 : from)) continue;
        if (chunk.offset >= until) return;
        stats.bytes += chunk.data.length;
        if (chunk.offset >= from) yield chunk;
      }
    },
    async readForward(from, { until, maxChunks = Infinity }) {
      const out: RawChunk[] = [];
      for await (const chunk of reader.chunks(from, until)) {
        if (out.length >= maxChunks) break;
        out.push(chunk);
      }
      return out;
    },
    async firstFrom(from) {
      return (await reader.readForward(from, { maxChunks: 1 }))[0];
    },
  };
  return { reader, stats };
}
const log = (count: number, size: (i: number) => number, offsetOf = (i: number) => i) =>
  Array.from({ length: count }, (_, i) => ({ offset: offsetOf(i), stream: 1, data: new Uint8Array(size(i)).fill(0x61) }));

test('the tail of a 100 MB log (400 chunks of 256 KiB) reads a few chunks, not the log', async () => {
  const { reader, stats } = fakeReader(log(400, () => 256 * KiB));
  const page = await readLogPage(reader, undefined, 256 * KiB);
  assert.equal(page.chunks.map((c) => c.offset), [399]);
  assert.is(page.nextOffset, 400);
  assert.ok(page.hasEarlier);
  assert.ok(stats.bytes <= 40 * 256 * KiB, `read ${stats.bytes} bytes`);
  assert.ok(stats.calls <= 25, `${stats.calls} reads`);
  const before = await readLogPage(reader, 399, 600 * KiB);
  assert.equal(before.chunks.map((c) => c.offset), [397, 398]);
});

test('small chunks fill a page; a tiny last chunk does not make the step back read the log', async () => {
  const { reader, stats } = fakeReader(log(5000, (i) => (i === 4999 ? 10 : 4 * KiB)));
  stats.bytes = 0;
  const page = await readLogPage(reader, 5000, 64 * KiB);
  assert.is(page.chunks.length, 16);
  assert.is(page.chunks.at(-1)!.offset, 4999);
  assert.ok(stats.bytes < 256 * KiB, `read ${stats.bytes} bytes`);
});

test('a chunk larger than the page still comes whole; the first page says nothing is before it', async () => {
  const { reader } = fakeReader(log(3, () => 1024 * KiB));
  const page = await readLogPage(reader, 1, 256 * KiB);
  assert.equal(page.chunks.map((c) => [c.offset, c.text.length]), [[0, 1024 * KiB]]);
  assert.is(page.hasEarlier, false);
});

test('an empty log; offsets with gaps', async () => {
  assert.equal(await readLogPage(fakeReader([]).reader, undefined, KiB), { chunks: [], hasEarlier: false, nextOffset: 0 });
  const gappy = fakeReader(log(50, () => 10, (i) => 3 + i * 7));
  assert.is(await findLastOffset(gappy.reader), 3 + 49 * 7);
  const page = await readLogPage(gappy.reader, undefined, 25);
  assert.equal(page.chunks.map((c) => c.offset), [3 + 48 * 7, 3 + 49 * 7]);
});

test('a step (read from its beginning only) is read through once; the browser gets the last page', async () => {
  const { reader, stats } = fakeReader(log(100, () => 10 * KiB, (i) => 20 + i));
  reader.startsAtTheBeginning = true;
  const page = await readLogPage(reader, undefined, 25 * KiB);
  assert.equal(page.chunks.map((c) => c.offset), [118, 119]);
  assert.ok(page.hasEarlier);
  assert.is(page.nextOffset, 120);
  assert.is(stats.calls, 1);
  const before = await readLogPage(reader, 118, 25 * KiB);
  assert.equal(before.chunks.map((c) => c.offset), [116, 117]);
  assert.is((await readLogPage(reader, 21, 25 * KiB)).hasEarlier, false);
});

test.run();
