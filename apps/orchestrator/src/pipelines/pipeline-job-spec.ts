import type { JobPlan } from '@jobmesh/pipeline-manifest';
import { ArtifactWhen, JobStepKind } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { PlannedJob } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';

/** A step of a pipeline job, with its index in the job. */
export type PipelineStepSpec = { index: number; kind: 'run'; name: string; run: string } | { index: number; kind: 'block'; name: string; prompt: string };

/** One planned job as the pipeline's workflow input carries it (JSON). */
export interface PipelineJobSpec {
  key: string;
  manifestId: string;
  name: string;
  matrix: Record<string, string>;
  runsOn: string;
  needs: string[];
  if: 'success' | 'failure' | 'always';
  steps: PipelineStepSpec[];
  /** The submission's env under the job's own. */
  env: Record<string, string>;
  secretEnv: string[];
  artifactPaths: string[];
  artifactWhen: 'on_success' | 'on_failure' | 'always';
  timeoutMs: number;
  retry: number;
  concurrency: string;
  [key: string]: unknown;
}

/** A manifest's planned job, with the submission's env and the mesh's default timeout applied. */
export function toPipelineJobSpec(job: JobPlan, submissionEnv: Record<string, string>, defaultTimeoutMs: number): PipelineJobSpec {
  return {
    key: job.key,
    manifestId: job.id,
    name: job.name,
    matrix: job.matrix,
    runsOn: job.runsOn,
    needs: job.needs,
    if: job.if,
    steps: job.steps.map((step, index) => ({ ...step, index })),
    env: { ...submissionEnv, ...job.env },
    secretEnv: job.secretEnv,
    artifactPaths: job.artifacts.paths,
    artifactWhen: job.artifacts.when,
    timeoutMs: job.timeoutMs ?? defaultTimeoutMs,
    retry: job.retry,
    concurrency: job.concurrency ?? '',
  };
}

/** The job as persistence stores it in the pipeline's plan. */
export function toPlannedJob(spec: PipelineJobSpec): PlannedJob {
  return {
    key: spec.key,
    manifestId: spec.manifestId,
    name: spec.name,
    matrix: spec.matrix,
    runsOn: spec.runsOn,
    needs: spec.needs,
    condition: spec.if,
    concurrency: spec.concurrency,
    steps: spec.steps.map((step) => ({
      index: step.index,
      name: step.name,
      kind: step.kind === 'run' ? JobStepKind.JOB_STEP_KIND_RUN : JobStepKind.JOB_STEP_KIND_BLOCK,
      prompt: step.kind === 'block' ? step.prompt : '',
      state: 0, startedAt: undefined, finishedAt: undefined, approvedBy: '', startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0,
        errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0, hasStart: false, hasEnd: false, hasErrStart: false, hasErrEnd: false,
    })),
  };
}

/** The job's artifact_when. */
export const artifactWhenOf = { on_success: ArtifactWhen.ARTIFACT_WHEN_ON_SUCCESS, on_failure: ArtifactWhen.ARTIFACT_WHEN_ON_FAILURE, always: ArtifactWhen.ARTIFACT_WHEN_ALWAYS } as const;
