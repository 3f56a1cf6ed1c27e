import type { LogPage } from '../../shared/api-types.ts';
import { toChunkView, type LogReader, type RawChunk } from './create-log-reader.ts';
import { findLastOffset } from './find-last-offset.ts';

/** Most chunks read in one step back. */
const maxStepChunks = 256;

/**
 * The chunks just before offset `before`, at most `maxBytes` of them in all (but always one,
 * however large: a chunk is at most 1 MiB), read back in steps sized by the chunks seen so far
 * (one chunk first, each next step at most twice the one before), so little more than the
 * page itself is read. `first` is the log's first offset.
 */
export async function readChunksBefore(reader: LogReader, before: number, first: number, maxBytes: number): Promise<RawChunk[]> {
  const kept: RawChunk[] = [];
  let bytes = 0;
  let average = maxBytes;
  let step = 2;
  let end = before;
  while (end > first && bytes < maxBytes) {
    const want = Math.min(maxStepChunks, 2 * step, Math.max(1, Math.ceil((maxBytes - bytes) / Math.max(1, average))));
    step = want;
    const from = Math.max(first, end - want);
    const read = await reader.readForward(from, { until: end });
    if (read.length) average = read.reduce((sum, chunk) => sum + chunk.data.length, 0) / read.length;
    for (let i = read.length - 1; i >= 0; i--) {
      const chunk = read[i]!;
      if (kept.length && bytes + chunk.data.length > maxBytes) return kept;
      kept.unshift(chunk);
      bytes += chunk.data.length;
    }
    end = from;
  }
  return kept;
}

/**
 * The last chunks before `before` (of at most `maxBytes`, but at least one) of a reader that can
 * only read from the beginning (one step's output): everything is read once, only the page is
 * kept. @returns the page and whether chunks came before it
 */
async function scanChunksBefore(reader: LogReader, before: number, maxBytes: number): Promise<{ kept: RawChunk[]; dropped: boolean; last: number }> {
  const kept: RawChunk[] = [];
  let bytes = 0;
  let dropped = false;
  let last = -1;
  for await (const chunk of reader.chunks(0, before)) {
    kept.push(chunk);
    bytes += chunk.data.length;
    last = chunk.offset;
    while (kept.length > 1 && bytes > maxBytes) {
      bytes -= kept.shift()!.data.length;
      dropped = true;
    }
  }
  return { kept, dropped, last };
}

/**
 * A page of a job's log ending just before `before` (`undefined`: the log's tail), of at most
 * `maxBytes`. A 100 MB log thus opens at its end after reading about log2(chunks) single chunks
 * and the page; the rest is never read. A step's output (a reader that starts at the beginning)
 * is read through once, and only the page goes to the browser.
 */
export async function readLogPage(reader: LogReader, before: number | undefined, maxBytes: number): Promise<LogPage> {
  if (reader.startsAtTheBeginning) {
    const { kept, dropped, last } = await scanChunksBefore(reader, before ?? Number.MAX_SAFE_INTEGER, maxBytes);
    return { chunks: kept.map(toChunkView), hasEarlier: dropped, nextOffset: before ?? last + 1 };
  }
  const firstChunk = await reader.firstFrom(0);
  if (!firstChunk) return { chunks: [], hasEarlier: false, nextOffset: 0 };
  const last = before === undefined ? await findLastOffset(reader, firstChunk.offset) : before - 1;
  const chunks = await readChunksBefore(reader, last + 1, firstChunk.offset, maxBytes);
  return {
    chunks: chunks.map(toChunkView),
    hasEarlier: chunks.length > 0 && chunks[0]!.offset > firstChunk.offset,
    nextOffset: last + 1,
  };
}
