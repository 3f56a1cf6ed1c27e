import {
  RecordFsJobCompletedRequest, RecordFsJobFailedRequest, RecordFsJobProgressRequest, RecordFsJobStartedRequest, type FsJobStoreServiceService,
} from '@jobmesh/contracts/jobmesh/persistence/v1/fs_jobs.ts';
import type { PromiseClient } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createRecordBuffer, type RecordBufferStats } from '@jobmesh/record-buffer';

/** One fs job record on its way to persistence. */
export type FsJobRecord =
  | { type: 'started'; request: RecordFsJobStartedRequest }
  | { type: 'progress'; request: RecordFsJobProgressRequest }
  | { type: 'completed'; request: RecordFsJobCompletedRequest }
  | { type: 'failed'; request: RecordFsJobFailedRequest };

/** Records fs jobs in persistence without ever holding file work up. */
export interface FsJobRecorder {
  /** Queues a record; never blocks, never throws. */
  record(record: FsJobRecord): void;
  stats(): RecordBufferStats;
  /** Waits until everything queued was sent, or `timeoutMs` passed. */
  flush(timeoutMs: number): Promise<boolean>;
  close(timeoutMs?: number): Promise<void>;
}

/** Options of createFsJobRecorder. */
export interface FsJobRecorderOptions {
  client: PromiseClient<typeof FsJobStoreServiceService>;
  logger: Logger;
  /** Called when persistence becomes unreachable (true) and reachable again (false). */
  onDegradedChange?: (degraded: boolean) => void;
  /** Records held in memory while persistence is away; more wait in the journal. @default 10000 */
  maxBuffered?: number;
  /** Folder of the journal that keeps records until persistence stored them (`<staging>/.fsops/records`). */
  journalDir: string;
}

/** Each record type's JSON codec (its request message). */
const codecs = {
  started: RecordFsJobStartedRequest,
  progress: RecordFsJobProgressRequest,
  completed: RecordFsJobCompletedRequest,
  failed: RecordFsJobFailedRequest,
} as const;

const encodeRecord = (record: FsJobRecord): string =>
  JSON.stringify({ type: record.type, request: (codecs[record.type] as { toJSON(m: unknown): unknown }).toJSON(record.request) });

function decodeRecord(line: string): FsJobRecord {
  const { type, request } = JSON.parse(line) as { type: FsJobRecord['type']; request: unknown };
  if (!(type in codecs)) throw new Error(`unknown fs job record type ${String(type)}`);
  return { type, request: codecs[type].fromJSON(request) } as FsJobRecord;
}

/**
 * Sends fs job records through the bounded, retrying record buffer, in order,
 * one record per send: persistence has no batch call for fs jobs, and a retried
 * batch would repeat a `started` after its `failed`, reopening the fs job.
 */
export function createFsJobRecorder(options: FsJobRecorderOptions): FsJobRecorder {
  const { client } = options;
  const sendOne = async (record: FsJobRecord) => {
    switch (record.type) {
      case 'started': return void (await client.recordFsJobStarted(record.request));
      case 'progress': return void (await client.recordFsJobProgress(record.request));
      case 'completed': return void (await client.recordFsJobCompleted(record.request));
      case 'failed': return void (await client.recordFsJobFailed(record.request));
    }
  };
  const buffer = createRecordBuffer<FsJobRecord>({
    logger: options.logger,
    maxBuffered: options.maxBuffered,
    journalDir: options.journalDir,
    encode: encodeRecord,
    decode: decodeRecord,
    onDegradedChange: options.onDegradedChange,
    describe: (r) => `${r.type} ${r.request.id}`,
    maxBatch: 1,
    send: async (batch) => {
      for (const record of batch) await sendOne(record);
    },
  });
  return { record: (r) => buffer.add(r), stats: () => buffer.stats(), flush: (ms) => buffer.flush(ms), close: (ms) => buffer.close(ms) };
}
