import type { Job } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { ArtifactWhen, JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { JobStateName, JobView } from '../../shared/api-types.ts';
import { enumName } from './enum-name.ts';
import { isoTime } from './iso-time.ts';
import { toStepView } from './to-step-view.ts';

/** The console's view of a public API job. */
export function toJobView(job: Job, queuePosition: number | null = null): JobView {
  return {
    id: job.requestId,
    state: enumName(JobState, 'JOB_STATE_', job.state) as JobStateName,
    repoUrl: job.repoUrl,
    commitSha: job.commitSha,
    label: job.runsOn,
    script: job.script,
    env: job.env,
    timeoutMs: job.timeoutMs,
    artifactPatterns: job.artifactPatterns,
    artifactWhen: enumName(ArtifactWhen, 'ARTIFACT_WHEN_', job.artifactWhen),
    artifactManifest: job.artifactManifest,
    exitCode: job.exitCode ?? null,
    error: job.error,
    operationId: job.operationId,
    traceId: job.traceId,
    createdAt: isoTime(job.createdAt),
    updatedAt: isoTime(job.updatedAt),
    finishedAt: isoTime(job.finishedAt),
    queuePosition,
    pipelineId: job.pipelineId,
    steps: job.steps.map(toStepView),
  };
}
