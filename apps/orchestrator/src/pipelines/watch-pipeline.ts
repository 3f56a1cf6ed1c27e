import type { Pipeline } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { sleepUnlessAborted } from '@jobmesh/durable';

const terminal = new Set<number>([PipelineState.PIPELINE_STATE_SUCCEEDED, PipelineState.PIPELINE_STATE_FAILED, PipelineState.PIPELINE_STATE_CANCELLED]);

/** What a watcher compares: states, reasons, runs and steps of the pipeline and each job (not read times). */
function digestOf(pipeline: Pipeline): string {
  return JSON.stringify([pipeline.state, pipeline.attempt, pipeline.error, pipeline.jobs.map((j) => [j.state, j.reason, j.jobRequestId, j.runs,
    j.steps.map((s) => [s.state, s.exitCode, s.startedAt?.getTime(), s.finishedAt?.getTime()])])]);
}

/**
 * The pipeline now, then again whenever it changed (read every `intervalMs`), until it ended
 * (the ended pipeline is the last one sent) or `signal` aborts.
 */
export async function* watchPipeline(read: () => Promise<Pipeline>, intervalMs: number, signal: AbortSignal): AsyncGenerator<Pipeline> {
  let last = '';
  while (!signal.aborted) {
    const pipeline = await read();
    const digest = digestOf(pipeline);
    if (digest !== last) {
      last = digest;
      yield pipeline;
    }
    if (terminal.has(pipeline.state)) return;
    await sleepUnlessAborted(intervalMs, signal);
  }
}
