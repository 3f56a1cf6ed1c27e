import { setTimeout as sleep } from 'node:timers/promises';
import type { CallOptions } from '@jobmesh/grpc-kit';
import type { PublicApi } from '../api/create-public-api.ts';
import type { EventStream } from '../http/open-event-stream.ts';
import { toErrorBody } from '../http/to-error-body.ts';
import { toPipelineView } from '../views/to-pipeline-view.ts';

/**
 * Sends pipeline `id` into `stream` as `pipeline` events, each WatchPipeline message as it comes
 * (the API sends the pipeline at once and again on every change of it, its jobs or their steps).
 * The watch ends once the pipeline ended, but a RetryPipeline (from here, the CLI or anyone) makes
 * it run again: the console opens the watch again after `pollMs` (an ended pipeline's watch
 * answers once and ends) and sends only what changed. A failed watch is sent as an `error` event
 * and opened again after `pollMs`, until the browser leaves.
 */
export async function followPipeline(api: PublicApi, id: string, stream: EventStream, call: CallOptions, pollMs: number): Promise<void> {
  const options = { ...call, signal: stream.signal };
  let last = '';
  while (!stream.signal.aborted) {
    try {
      for await (const { pipeline } of api.pipelines.watchPipeline({ id }, options)) {
        const view = toPipelineView(pipeline!);
        const text = JSON.stringify(view);
        if (text === last) continue;
        last = text;
        await stream.send('pipeline', view);
      }
    } catch (error) {
      if (stream.signal.aborted) return;
      await stream.send('error', toErrorBody(error).body);
      last = ''; // the next pipeline read is sent even if unchanged: it tells the browser the stream is back
    }
    await sleep(pollMs, undefined, { signal: stream.signal }).catch(() => undefined);
  }
}
