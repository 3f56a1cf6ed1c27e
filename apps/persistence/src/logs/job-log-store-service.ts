import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { defineService, invalidArgument, isMeshError, notFound, status } from '@jobmesh/grpc-kit';
import type { DatabasePool } from 'slonik';
import type { NotificationHub } from '../db/create-notification-hub.ts';
import { mapDatabaseError } from '../db/map-database-error.ts';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { findJob } from '../jobs/job-queries.ts';
import { logStreams, terminalJobStates } from '../validation/enum-codecs.ts';
import { pageSize, requireInteger, requireUuid } from '../validation/fields.ts';
import { appendLogChunks, findMissingJobs, readLogPage, toProtoLogChunk, type LogPage, type NewLogChunk } from './log-queries.ts';

/** Largest chunk accepted: 1 MiB. */
export const maxLogChunkBytes = 1024 * 1024;
/** Most chunks in one AppendLogChunks call. */
export const maxLogChunksPerCall = 1000;
/** Most bytes of chunk data in one AppendLogChunks call: 8 MiB, well under the 16 MiB message limit. */
export const maxLogAppendBytes = 8 * 1024 * 1024;
/** Bytes of chunk data per ReadLog page (max_bytes = 0) and per FollowLog message: 1 MiB. */
export const logPageBytes = 1024 * 1024;
/** Largest ReadLog max_bytes: 4 MiB. */
export const maxLogPageBytes = 4 * 1024 * 1024;
/** Chunks per FollowLog message, at most (the byte bound usually comes first). */
const followPageChunks = 500;
/** A follower re-reads at least this often even without a notification. */
const followPollMs = 1000;
/** How long a follower waits out an unreachable database before it fails UNAVAILABLE. */
const followOutageMs = 60_000;

/** Dependencies of the job log store. */
export interface JobLogStoreDeps {
  pool: DatabasePool;
  notifications: NotificationHub;
}

/** jobmesh.persistence.v1.JobLogStoreService: batched appends, reads, live follow. */
export function createJobLogStoreService({ pool, notifications }: JobLogStoreDeps) {
  const jobState = async (requestId: string) => {
    const job = await findJob(pool, requestId);
    if (!job) throw notFound('JOB_NOT_FOUND', `job ${requestId} does not exist`);
    return job.state;
  };

  return defineService('jobmesh.persistence.v1.JobLogStoreService', JobLogStoreServiceService, withDatabaseErrors({
    async appendLogChunks(request) {
      if (request.chunks.length === 0) throw invalidArgument('chunks', 'must hold at least one chunk');
      if (request.chunks.length > maxLogChunksPerCall) throw invalidArgument('chunks', `must hold at most ${maxLogChunksPerCall} chunks`);
      const seen = new Set<string>();
      const chunks: NewLogChunk[] = [];
      request.chunks.forEach((chunk, i) => {
        const requestId = requireUuid(`chunks[${i}].request_id`, chunk.requestId);
        const seq = requireInteger(`chunks[${i}].seq`, chunk.seq, 0, Number.MAX_SAFE_INTEGER);
        if (chunk.data.length > maxLogChunkBytes) throw invalidArgument(`chunks[${i}].data`, `must be at most ${maxLogChunkBytes} bytes`);
        const key = `${requestId}/${seq}`;
        if (seen.has(key)) throw invalidArgument(`chunks[${i}].seq`, `repeats ${key} within the batch`);
        seen.add(key);
        chunks.push({ requestId, seq, stream: logStreams.toDb(`chunks[${i}].stream`, chunk.stream), data: Buffer.from(chunk.data) });
      });
      const bytes = chunks.reduce((n, c) => n + c.data.length, 0);
      if (bytes > maxLogAppendBytes) throw invalidArgument('chunks', `must hold at most ${maxLogAppendBytes} bytes of data in all, got ${bytes}: split the batch`);
      return pool.transaction(async (tx) => {
        const missing = await findMissingJobs(tx, [...new Set(chunks.map((c) => c.requestId))]);
        if (missing.length) throw notFound('JOB_NOT_FOUND', `job ${missing[0]} does not exist`, { facts: { request_id: missing[0]! } });
        const appended = await appendLogChunks(tx, chunks);
        return { appended, duplicates: chunks.length - appended };
      });
    },

    async readLog(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const fromSeq = requireInteger('from_seq', request.fromSeq, 0, Number.MAX_SAFE_INTEGER);
      const limit = pageSize('max_chunks', request.maxChunks, 500, 1000);
      const maxBytes = pageSize('max_bytes', request.maxBytes, logPageBytes, maxLogPageBytes);
      // The state before the chunks: a job seen terminal here had all its chunks stored already.
      const state = await jobState(requestId);
      const { rows, hasMore } = await readLogPage(pool, requestId, fromSeq, limit, maxBytes);
      return {
        chunks: rows.map(toProtoLogChunk),
        nextSeq: rows.length ? rows.at(-1)!.seq + 1 : fromSeq,
        complete: terminalJobStates.has(state) && !hasMore,
        hasMore,
      };
    },

    async *followLog(request, context) {
      const requestId = requireUuid('request_id', request.requestId);
      let next = requireInteger('from_seq', request.fromSeq, 0, Number.MAX_SAFE_INTEGER);
      const subscription = notifications.subscribe(requestId);
      let unavailableSince: number | undefined;
      try {
        while (!context.signal.aborted) {
          let terminal: boolean;
          let rows: LogPage['rows'];
          try {
            // Read the state before the chunks: a job seen terminal here had all its chunks stored already.
            terminal = terminalJobStates.has(await jobState(requestId));
            ({ rows } = await readLogPage(pool, requestId, next, followPageChunks, logPageBytes));
            unavailableSince = undefined;
          } catch (error) {
            // A follower outlives a Postgres restart: it waits and re-reads, for up to followOutageMs.
            const mapped = mapDatabaseError(error);
            if (!isMeshError(mapped, status.UNAVAILABLE)) throw mapped;
            unavailableSince ??= Date.now();
            if (Date.now() - unavailableSince > followOutageMs) throw mapped;
            await subscription.wait(followPollMs, context.signal);
            continue;
          }
          // Deliver in order without gaps; a gap left open once the job ended is skipped.
          const contiguous = terminal ? rows : rows.filter((row, i) => row.seq === next + i);
          if (contiguous.length) {
            next = contiguous.at(-1)!.seq + 1;
            yield { chunks: contiguous.map(toProtoLogChunk) };
            continue;
          }
          if (terminal) return;
          await subscription.wait(followPollMs, context.signal);
        }
      } finally {
        subscription.close();
      }
    },
  }));
}
