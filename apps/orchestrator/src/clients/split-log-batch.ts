/** Caps of one AppendLogChunks call (persistence's contract: logs.proto, AppendLogChunksRequest). */
export interface LogBatchLimits {
  /** Most chunks in one call. @default 1000 */
  maxChunks?: number;
  /** Most bytes of chunk data in one call. @default 8 MiB */
  maxBytes?: number;
}

/**
 * Cuts a batch of log chunks, in order, into batches within AppendLogChunks' caps. A chunk
 * bigger than `maxBytes` goes alone (persistence then refuses it, naming `chunks[0].data`).
 * @returns the batches, none empty; none for no chunk
 */
export function splitLogBatch<T extends { data: Uint8Array }>(chunks: readonly T[], limits: LogBatchLimits = {}): T[][] {
  const maxChunks = limits.maxChunks ?? 1000;
  const maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const chunk of chunks) {
    if (current.length && (current.length === maxChunks || bytes + chunk.data.length > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(chunk);
    bytes += chunk.data.length;
  }
  if (current.length) batches.push(current);
  return batches;
}
