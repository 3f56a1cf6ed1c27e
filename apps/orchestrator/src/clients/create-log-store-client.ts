import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { createClient, type ClientOptions, type PromiseClient } from '@jobmesh/grpc-kit';
import { splitLogBatch } from './split-log-batch.ts';

/**
 * A client of persistence's JobLogStoreService whose AppendLogChunks takes a batch of any size:
 * it sends it as consecutive calls within the contract's caps (1000 chunks, 8 MiB of data), in
 * order, and adds up their counts. Safe because appends are idempotent per (request_id, seq):
 * a retried batch whose first calls were stored counts those chunks as duplicates.
 */
export function createLogStoreClient(address: string, options: ClientOptions = {}): PromiseClient<typeof JobLogStoreServiceService> {
  const client = createClient(JobLogStoreServiceService, address, options);
  return {
    ...client,
    async appendLogChunks(request, callOptions) {
      let appended = 0;
      let duplicates = 0;
      // An empty batch still goes out, for persistence's INVALID_ARGUMENT.
      for (const chunks of request.chunks.length ? splitLogBatch(request.chunks) : [request.chunks]) {
        const stored = await client.appendLogChunks({ chunks }, callOptions);
        appended += stored.appended;
        duplicates += stored.duplicates;
      }
      return { appended, duplicates };
    },
  };
}
