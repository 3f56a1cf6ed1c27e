import type { CallOptions } from '@jobmesh/grpc-kit';
import type { PublicApi } from '../api/create-public-api.ts';
import type { EventStream } from '../http/open-event-stream.ts';
import { createLogReader, toChunkView } from './create-log-reader.ts';
import { readLogPage } from './read-log-page.ts';

/** How the live log is paced towards one browser. */
export interface FollowOptions {
  /** Most log bytes sent per second; a job writing faster makes the browser jump to the tail (`reset`). @default 2 MiB */
  maxBytesPerSecond?: number;
  /** Size of the tail page a `reset` carries. @default 256 KiB */
  pageBytes?: number;
  /** Only this step's output (the stream ends when the step ended). @default the whole log */
  step?: number;
}

/**
 * Follows a job's log live from offset `from` into `stream`: `chunk` per log chunk, in order,
 * and `end` when the job ended (StreamJobLogs follow ends then). A browser never gets more than
 * `maxBytesPerSecond`: past it (a backlog, or a job writing faster than a person reads) the
 * follow stops, sends `reset` with the log's tail page and goes on from there; the skipped part
 * stays readable by paging back.
 */
export async function followLog(api: PublicApi, requestId: string, from: number, stream: EventStream, call: CallOptions, options: FollowOptions = {}): Promise<void> {
  const maxBytesPerSecond = options.maxBytesPerSecond ?? 2 * 1024 * 1024;
  const pageBytes = options.pageBytes ?? 256 * 1024;
  const step = options.step;
  const signal = AbortSignal.any([stream.signal, ...(call.signal ? [call.signal] : [])]);
  let next = from;
  let windowStart = Date.now();
  let windowBytes = 0;
  following: while (!signal.aborted) {
    const leave = new AbortController();
    const options = { ...call, signal: AbortSignal.any([signal, leave.signal]) };
    for await (const message of api.jobs.streamJobLogs({ requestId, fromOffset: next, follow: true, step }, options)) {
      if (message.offset < next) continue; // a step's stream starts at the step's beginning whatever from_offset says
      if (Date.now() - windowStart >= 1000) [windowStart, windowBytes] = [Date.now(), 0];
      windowBytes += message.data.length;
      if (windowBytes > maxBytesPerSecond) {
        leave.abort();
        const page = await readLogPage(createLogReader(api, requestId, { ...call, signal }, step), undefined, pageBytes);
        await stream.send('reset', page);
        next = page.nextOffset;
        [windowStart, windowBytes] = [Date.now(), 0];
        continue following;
      }
      await stream.send('chunk', toChunkView(message));
      next = message.offset + 1;
    }
    break;
  }
  if (!signal.aborted) await stream.send('end', { nextOffset: next });
}
