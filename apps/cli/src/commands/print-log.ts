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
 * With `step`, only that step's output (`fromOffset` does not apply; with `follow`, until the
 * step ended); a broken step stream is read again from its start, skipping the bytes printed.
 * @throws MeshError of the API (NOT_FOUND for an unknown job or step, UNAVAILABLE after the last attempt)
 */
export async function printLog(api: Api, requestId: string, fromOffset: number, options: { step?: number; follow?: boolean } = {}): Promise<void> {
  let next = fromOffset;
  let printed = 0;
  for (let attempt = 1; ; attempt++) {
    let skip = options.step === undefined ? 0 : printed;
    try {
      for await (const chunk of api.jobs.streamJobLogs({ requestId, fromOffset: next, follow: options.follow ?? false, step: options.step })) {
        const data = chunk.data.subarray(Math.min(skip, chunk.data.length));
        skip -= chunk.data.length - data.length;
        const sink = chunk.stream === LogStream.LOG_STREAM_STDERR ? process.stderr : process.stdout;
        if (data.length > 0 && !sink.write(data)) await once(sink, 'drain');
        next = chunk.offset + 1;
        printed += data.length;
      }
      return;
    } catch (error) {
      if (!isMeshError(error, status.UNAVAILABLE) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}
