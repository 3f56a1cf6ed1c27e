import type {
  FsJobStoreServiceService, RecordFsJobCompletedRequest, RecordFsJobFailedRequest, RecordFsJobProgressRequest, RecordFsJobStartedRequest,
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
  /** Records held while persistence is away. @default 10000 */
  maxBuffered?: number;
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
    onDegradedChange: options.onDegradedChange,
    describe: (r) => `${r.type} ${r.request.id}`,
    maxBatch: 1,
    send: async (batch) => {
      for (const record of batch) await sendOne(record);
    },
  });
  return { record: (r) => buffer.add(r), stats: () => buffer.stats(), flush: (ms) => buffer.flush(ms), close: (ms) => buffer.close(ms) };
}
