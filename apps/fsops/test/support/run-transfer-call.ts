import type { TransferProgress, TransferRequest, TransferResult } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import type { FsopsClient } from './start-test-fsops.ts';

/** Every message of one Transfer call. */
export interface TransferOutcome {
  progress: TransferProgress[];
  result: TransferResult;
}

/** A Transfer request with defaults (FAIL overwrite, no job). */
export function transferRequest(request: Pick<TransferRequest, 'key' | 'source' | 'destination' | 'mode'> & Partial<TransferRequest>): TransferRequest {
  return { overwrite: OverwritePolicy.OVERWRITE_POLICY_UNSPECIFIED, jobRequestId: '', skipChecksums: false, ...request };
}

/**
 * Calls Transfer through the real client and reads the whole stream: progress
 * messages, then exactly one result, which must be last.
 */
export async function runTransferCall(client: FsopsClient, request: TransferRequest, ms = 60_000): Promise<TransferOutcome> {
  return withDeadline((async () => {
    const progress: TransferProgress[] = [];
    let result: TransferResult | undefined;
    for await (const message of client.transfer(request)) {
      if (result) throw new Error('a message came after the result');
      if (message.progress) progress.push(message.progress);
      if (message.result) result = message.result;
    }
    if (!result) throw new Error('the stream ended without a result');
    return { progress, result };
  })(), ms, `transfer ${request.key}`);
}
