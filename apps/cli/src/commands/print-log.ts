import { once } from 'node:events';
import { LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Api } from '../create-api.ts';

/** Attempts of a log read whose stream breaks UNAVAILABLE, each resuming after the last chunk printed. */
const maxAttempts = 3;

/**
 * Prints a job's stored log from `fromOffset` (stdout chunks to stdout, stderr to stderr)
 * through StreamJobLogs, whose messages hold one chunk of at most 1 MiB each whatever the log's
 * size. Waits for a full sink to drain, so a slow reader keeps this process small, and resumes
 * after the last chunk printed when the stream breaks (a restarted orchestrator).
 * @throws MeshError of the API (NOT_FOUND for an unknown job, UNAVAILABLE after the last attempt)
 */
export async function printLog(api: Api, requestId: string, fromOffset: number): Promise<void> {
  let next = fromOffset;
  for (let attempt = 1; ; attempt++) {
    try {
      for await (const chunk of api.jobs.streamJobLogs({ requestId, fromOffset: next, follow: false })) {
        const sink = chunk.stream === LogStream.LOG_STREAM_STDERR ? process.stderr : process.stdout;
        if (!sink.write(chunk.data)) await once(sink, 'drain');
        next = chunk.offset + 1;
      }
      return;
    } catch (error) {
      if (!isMeshError(error, status.UNAVAILABLE) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}
