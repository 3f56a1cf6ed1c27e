import { VmEvent, VmStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { createClient, type TlsOptions } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { createRecordBuffer, type RecordBuffer } from '@jobmesh/record-buffer';

/** The VM event buffer feeding persistence, and the client it uses. */
export interface PersistenceRecords {
  buffer: RecordBuffer<VmEvent>;
  /** Flushes (up to `timeoutMs`), stops the buffer and closes the client. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Connects the VM event buffer to persistence's VmStoreService.RecordVmEvents
 * (idempotent by event_id, so a retried batch stores nothing twice).
 * @param onDegradedChange told when persistence stops (true) and starts (false) taking records
 */
export function createPersistenceRecords(options: {
  address: string;
  /** TLS towards persistence. @default plaintext */
  tls?: TlsOptions;
  logger: Logger;
  /** Records held in memory; more wait in the journal. */
  maxBuffered: number;
  /** Folder of the journal that keeps events until persistence stored them (`<state dir>/records`). */
  journalDir: string;
  onDegradedChange: (degraded: boolean) => void;
}): PersistenceRecords {
  // One attempt per send: the buffer does the retrying, with its own backoff.
  const client = createClient(VmStoreServiceService, options.address, { deadlineMs: 5000, maxAttempts: 1, tls: options.tls });
  const buffer = createRecordBuffer<VmEvent>({
    logger: options.logger,
    maxBuffered: options.maxBuffered,
    journalDir: options.journalDir,
    encode: (event) => JSON.stringify(VmEvent.toJSON(event)),
    decode: (line) => VmEvent.fromJSON(JSON.parse(line)),
    send: async (events) => void (await client.recordVmEvents({ events })),
    onDegradedChange: options.onDegradedChange,
    describe: (e) => `vm ${e.requestId} state ${e.state} at ${e.occurredAt?.toISOString()} (event ${e.eventId})`,
  });
  return {
    buffer,
    async close(timeoutMs) {
      await buffer.close(timeoutMs);
      client.close();
    },
  };
}
