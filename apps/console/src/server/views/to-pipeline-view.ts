import type { Pipeline, PipelineJob } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { PipelineJobStateName, PipelineJobView, PipelineStateName, PipelineView } from '../../shared/api-types.ts';
import { enumName } from './enum-name.ts';
import { isoTime } from './iso-time.ts';
import { toStepView } from './to-step-view.ts';

function toPipelineJobView(job: PipelineJob): PipelineJobView {
  return {
    key: job.key, name: job.name, matrix: job.matrix, label: job.runsOn, needs: job.needs, condition: job.condition, concurrency: job.concurrency,
    state: enumName(PipelineJobState, 'PIPELINE_JOB_STATE_', job.state) as PipelineJobStateName,
    reason: job.reason, jobId: job.jobRequestId, runs: job.runs, startedAt: isoTime(job.startedAt), finishedAt: isoTime(job.finishedAt),
    steps: job.steps.map(toStepView),
  };
}

/** The console's view of a public API pipeline (with its jobs when the API sent them). */
export function toPipelineView(pipeline: Pipeline): PipelineView {
  return {
    id: pipeline.id,
    state: enumName(PipelineState, 'PIPELINE_STATE_', pipeline.state) as PipelineStateName,
    attempt: pipeline.attempt,
    repoUrl: pipeline.repoUrl,
    commitSha: pipeline.commitSha,
    manifestPath: pipeline.manifestPath,
    error: pipeline.error,
    traceId: pipeline.traceId,
    operationId: pipeline.operationId,
    createdAt: isoTime(pipeline.createdAt),
    updatedAt: isoTime(pipeline.updatedAt),
    finishedAt: isoTime(pipeline.finishedAt),
    jobs: pipeline.jobs.map(toPipelineJobView),
  };
}
