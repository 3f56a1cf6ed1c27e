import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { defineService, invalidArgument, isMeshError, notFound, status } from '@jobmesh/grpc-kit';
import type { DatabasePool } from 'slonik';
import type { NotificationHub } from '../db/create-notification-hub.ts';
import { mapDatabaseError } from '../db/map-database-error.ts';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { findJob } from '../jobs/job-queries.ts';
import { logStreams, terminalJobStates } from '../validation/enum-codecs.ts';
import { pageSize, requireInteger, requireUuid } from '../validation/fields.ts';
import { appendLogChunks, findMissingJobs, readLogChunks, toProtoLogChunk, type NewLogChunk } from './log-queries.ts';

/** Largest chunk accepted: 1 MiB. */
export const maxLogChunkBytes = 1024 * 1024;
/** Most chunks in one AppendLogChunks call. */
export const maxLogChunksPerCall = 1000;
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
      const state = await jobState(requestId);
      const rows = await readLogChunks(pool, requestId, fromSeq, limit + 1);
      const chunks = rows.slice(0, limit);
      return {
        chunks: chunks.map(toProtoLogChunk),
        nextSeq: chunks.length ? chunks.at(-1)!.seq + 1 : fromSeq,
        complete: terminalJobStates.has(state) && rows.length <= limit,
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
          let rows: Awaited<ReturnType<typeof readLogChunks>>;
          try {
            // Read the state before the chunks: a job seen terminal here had all its chunks stored already.
            terminal = terminalJobStates.has(await jobState(requestId));
            rows = await readLogChunks(pool, requestId, next, 500);
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
