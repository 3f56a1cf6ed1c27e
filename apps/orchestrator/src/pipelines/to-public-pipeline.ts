import type { JobStep as PublicJobStep, Pipeline as PublicPipeline } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import type { JobStep, Pipeline } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { firstSeqOf } from '../jobs/stream-step-log.ts';

/** The public view of a stored step. */
export function toPublicStep(step: JobStep): PublicJobStep {
  return {
    index: step.index,
    name: step.name,
    kind: step.kind,
    state: step.state,
    exitCode: step.exitCode,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
    approvedBy: step.approvedBy,
    prompt: step.prompt,
    logOffset: firstSeqOf(step) ?? 0,
  };
}

/** The public view of a stored pipeline. */
export function toPublicPipeline(pipeline: Pipeline): PublicPipeline {
  return {
    id: pipeline.id,
    repoUrl: pipeline.repoUrl,
    commitSha: pipeline.commitSha,
    manifestPath: pipeline.manifestPath,
    state: pipeline.state,
    attempt: pipeline.attempt,
    error: pipeline.error,
    traceId: pipeline.traceId,
    createdAt: pipeline.createdAt,
    updatedAt: pipeline.updatedAt,
    finishedAt: pipeline.finishedAt,
    operationId: pipeline.workflowId,
    jobs: pipeline.jobs.map((job) => ({
      key: job.key,
      manifestId: job.manifestId,
      name: job.name,
      matrix: job.matrix,
      runsOn: job.runsOn,
      needs: job.needs,
      condition: job.condition,
      concurrency: job.concurrency,
      state: job.state,
      reason: job.reason,
      jobRequestId: job.jobRequestId,
      runs: job.runs,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      steps: job.steps.map(toPublicStep),
    })),
  };
}
