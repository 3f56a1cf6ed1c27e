import type { Job as PublicJob } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import type { Job as StoredJob } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { toPublicStep } from '../pipelines/to-public-pipeline.ts';

/** The public view of a stored job (with its steps when given: GetJob of a pipeline job). */
export function toPublicJob(job: StoredJob, steps: JobStep[] = []): PublicJob {
  const spec = job.spec!;
  return {
    requestId: spec.requestId,
    repoUrl: spec.repoUrl,
    commitSha: spec.commitSha,
    runsOn: spec.runsOn,
    script: spec.script,
    env: spec.env,
    timeoutMs: spec.timeoutMs,
    artifactPatterns: spec.artifactPatterns,
    artifactWhen: spec.artifactWhen,
    artifactManifest: job.artifactManifest,
    state: job.state,
    exitCode: job.exitCode,
    error: job.error,
    operationId: job.workflowId,
    traceId: job.traceId,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
    pipelineId: job.pipelineId,
    pipelineJobKey: job.pipelineJobKey,
    steps: steps.map(toPublicStep),
  };
}
