import type { Pipeline } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { withDeadline } from '@jobmesh/grpc-kit/testing';

const ended = new Set<number>([PipelineState.PIPELINE_STATE_SUCCEEDED, PipelineState.PIPELINE_STATE_FAILED, PipelineState.PIPELINE_STATE_CANCELLED]);

/**
 * Polls GetPipeline every 100 ms until `until` holds (default: the pipeline ended); a failed read
 * (a service being killed and restarted) is retried. @returns the pipeline @throws after `ms`
 */
export function waitForPipeline(getPipeline: (request: { id: string }) => Promise<{ pipeline?: Pipeline }>, id: string, until: (p: Pipeline) => boolean = (p) => ended.has(p.state), ms = 180_000): Promise<Pipeline> {
  let last: Pipeline | undefined;
  return withDeadline((async () => {
    for (;;) {
      const { pipeline } = await getPipeline({ id }).catch(() => ({ pipeline: undefined }));
      if (pipeline) last = pipeline;
      if (pipeline && until(pipeline)) return pipeline;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(), ms, `pipeline ${id} reaches the awaited state`).catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(last?.jobs.map((j) => [j.key, j.state, j.reason]))}`);
  });
}
