import type { LogReader } from './create-log-reader.ts';

/**
 * The offset of a log's last chunk (-1 for an empty log) without reading the log: StreamJobLogs
 * reads only forward from an offset, so this probes "is there a chunk at or after x?" (one chunk
 * read each), doubling the step from `hint` (a chunk offset known to exist) until nothing is
 * found, then halving the gap: about 2·log2(chunks) probes. Offsets need not be contiguous.
 */
export async function findLastOffset(reader: LogReader, hint = -1): Promise<number> {
  let low = hint;
  let high = -1;
  for (let step = 1; high < 0; step *= 2) {
    const found = await reader.firstFrom(low + step);
    if (found) low = found.offset;
    else high = low + step;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const found = await reader.firstFrom(middle);
    if (found && found.offset < high) low = found.offset;
    else high = middle;
  }
  return low;
}
