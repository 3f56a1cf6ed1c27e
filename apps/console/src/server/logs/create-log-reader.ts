import { LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { CallOptions } from '@jobmesh/grpc-kit';
import type { LogChunkView, LogStreamName } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';

/** A chunk as read from StreamJobLogs. */
export interface RawChunk { offset: number; stream: number; data: Uint8Array }

const streamNames: Record<number, LogStreamName> = { [LogStream.LOG_STREAM_STDERR]: 'stderr', [LogStream.LOG_STREAM_SYSTEM]: 'system' };

/** The console's view of a chunk: its bytes as UTF-8 text (a character cut by a chunk boundary shows as U+FFFD). */
export function toChunkView(chunk: RawChunk): LogChunkView {
  return { offset: chunk.offset, stream: streamNames[chunk.stream] ?? 'stdout', text: Buffer.from(chunk.data).toString('utf8') };
}

/** Reads parts of one job's log through the public API's StreamJobLogs (which only reads forward). */
export interface LogReader {
  /**
   * True when reads cannot start at an offset: StreamJobLogs with `step` starts at the step's
   * beginning whatever `from_offset` says, so such a reader skips what comes before `from` itself.
   */
  startsAtTheBeginning: boolean;
  /** Chunks from offset `from` on, before offset `until`, as they come; leaving the loop stops the read. */
  chunks(from: number, until?: number): AsyncIterable<RawChunk>;
  /** Chunks from offset `from` on, stopping before offset `until` or after `maxChunks`; the rest is never read. */
  readForward(from: number, options: { until?: number; maxChunks?: number }): Promise<RawChunk[]>;
  /** The first chunk at or after `from`; undefined when there is none. */
  firstFrom(from: number): Promise<RawChunk | undefined>;
}

/**
 * A LogReader of job `requestId` (only the output of step `step` when given: StreamJobLogs cuts
 * it at the step's own boundaries), calling the API with `call` (the browser's token, its abort signal).
 */
export function createLogReader(api: Pick<PublicApi, 'jobs'>, requestId: string, call: CallOptions, step?: number): LogReader {
  const reader: LogReader = {
    startsAtTheBeginning: step !== undefined,
    async *chunks(from, until = Number.MAX_SAFE_INTEGER) {
      if (from >= until) return;
      // Leaving the loop cancels the call: the orchestrator stops reading the log there.
      for await (const message of api.jobs.streamJobLogs({ requestId, fromOffset: from, follow: false, step }, call)) {
        if (message.offset < from) continue;
        if (message.offset >= until) return;
        yield { offset: message.offset, stream: message.stream, data: message.data };
      }
    },
    async readForward(from, { until, maxChunks = Number.MAX_SAFE_INTEGER }) {
      const chunks: RawChunk[] = [];
      if (maxChunks <= 0) return chunks;
      for await (const chunk of reader.chunks(from, until)) {
        chunks.push(chunk);
        if (chunks.length >= maxChunks) break;
      }
      return chunks;
    },
    async firstFrom(from) {
      return (await reader.readForward(from, { maxChunks: 1 }))[0];
    },
  };
  return reader;
}
