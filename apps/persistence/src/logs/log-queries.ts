import type { LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { channels } from '../db/create-notification-hub.ts';
import { logStreams } from '../validation/enum-codecs.ts';

/** A validated chunk to append. */
export interface NewLogChunk {
  requestId: string;
  seq: number;
  stream: string;
  data: Buffer;
}

const LogChunkRow = z.object({
  request_id: z.string(),
  seq: z.number(),
  stream: z.string(),
  data: z.instanceof(Buffer),
  created_at: z.date(),
});
type LogChunkRow = z.infer<typeof LogChunkRow>;

/** The proto LogChunk of a row. */
export function toProtoLogChunk(row: LogChunkRow): LogChunk {
  return { requestId: row.request_id, seq: row.seq, stream: logStreams.fromDb(row.stream), data: row.data, createdAt: row.created_at };
}

/** Request ids among `ids` that have no job. */
export async function findMissingJobs(db: CommonQueryMethods, ids: string[]): Promise<string[]> {
  const rows = await db.any(sql.type(z.object({ id: z.string() }))`
    SELECT id::text FROM unnest(${sql.array(ids, 'uuid')}) AS id
    WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE request_id = id)`);
  return rows.map((r) => r.id);
}

/**
 * Appends a batch in one statement (unnest), skipping chunks already stored,
 * and notifies the followers of every job that got new chunks.
 * @returns how many chunks were stored
 */
export async function appendLogChunks(db: CommonQueryMethods, chunks: NewLogChunk[]): Promise<number> {
  const row = await db.one(sql.type(z.object({ appended: z.number() }))`
    WITH ins AS (
      INSERT INTO job_log_chunks (request_id, seq, stream, data)
      SELECT * FROM ${sql.unnest(
        chunks.map((c) => [c.requestId, c.seq, c.stream, c.data]),
        ['uuid', 'int8', 'log_stream', 'bytea'],
      )}
      ON CONFLICT (request_id, seq) DO NOTHING
      RETURNING request_id
    ), n AS (
      SELECT pg_notify(${channels.log}, request_id::text) FROM (SELECT DISTINCT request_id FROM ins) d
    )
    SELECT (SELECT count(*) FROM ins)::int8 AS appended, (SELECT count(*) FROM n) AS notified`);
  return row.appended;
}

/** A page of chunks, and whether more were stored after it. */
export interface LogPage {
  rows: readonly LogChunkRow[];
  /** True when a chunk after the page's last one is stored. */
  hasMore: boolean;
}

/**
 * Reads a job's chunks from `fromSeq` on, in order: at most `maxChunks` chunks holding at most
 * `maxBytes` of data, except that the first chunk comes whatever its size. The byte bound is
 * applied in the database (a running sum of octet_length, which reads no TOASTed data), so
 * neither Postgres nor this process loads more than the page, whatever the log's size.
 */
export async function readLogPage(db: CommonQueryMethods, requestId: string, fromSeq: number, maxChunks: number, maxBytes: number): Promise<LogPage> {
  const rows = await db.any(sql.type(LogChunkRow.extend({ has_next: z.boolean() }))`
    SELECT request_id, seq, stream, data, created_at, has_next FROM (
      SELECT request_id, seq, stream, data, created_at,
        row_number() OVER w AS n,
        sum(octet_length(data)) OVER w AS running,
        lead(seq) OVER w IS NOT NULL AS has_next
      FROM job_log_chunks WHERE request_id = ${requestId} AND seq >= ${fromSeq}
      WINDOW w AS (ORDER BY seq)
      ORDER BY seq LIMIT ${maxChunks}
    ) page
    WHERE n = 1 OR running <= ${maxBytes}
    ORDER BY seq`);
  return { rows, hasMore: rows.at(-1)?.has_next ?? false };
}
