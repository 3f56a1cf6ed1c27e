import type { CreatePipelineRequest, PlannedJob } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { jobStepKinds } from '../validation/enum-codecs.ts';
import { commitShaRules, concurrencyGroupRules, labelRules, pipelineJobKeyRules, repoUrlRules, sha256Rules, stepNameRules } from '../validation/field-rules.ts';
import { optionalUuid, requireStringMap, requireText, requireUuid } from '../validation/fields.ts';

/** Most jobs of one pipeline, and most steps of one job (the manifest's limits). */
export const pipelineLimits = { maxJobs: 256, maxSteps: 100 } as const;

/** A step as the plan has it (kind as its Postgres label). */
export interface PlannedStep {
  index: number;
  name: string;
  kind: string;
  prompt: string;
}

/** A validated planned job. */
export interface NewPlannedJob {
  key: string;
  position: number;
  manifestId: string;
  name: string;
  matrix: Record<string, string>;
  runsOn: string;
  needs: string[];
  condition: string;
  concurrency: string;
  steps: PlannedStep[];
}

/** A validated CreatePipeline request. */
export interface NewPipeline {
  id: string;
  repoUrl: string;
  commitSha: string;
  manifestPath: string;
  manifestSha256: string;
  workflowId: string | null;
  traceId: string;
  jobs: NewPlannedJob[];
}

const conditions = new Set(['success', 'failure', 'always']);

function validateSteps(field: string, job: PlannedJob): PlannedStep[] {
  if (job.steps.length < 1 || job.steps.length > pipelineLimits.maxSteps) {
    throw invalidArgument(`${field}.steps`, `must hold 1 to ${pipelineLimits.maxSteps} steps, got ${job.steps.length}`);
  }
  let runSeen = false;
  return job.steps.map((step, i) => {
    const at = `${field}.steps[${i}]`;
    if (step.index !== i) throw invalidArgument(`${at}.index`, `must be ${i}: steps are indexed in order from 0`);
    const kind = jobStepKinds.toDb(`${at}.kind`, step.kind);
    if (kind === 'block' && runSeen) throw invalidArgument(`${at}.kind`, 'a block step must come before every run step');
    runSeen ||= kind === 'run';
    if (kind === 'run' && step.prompt) throw invalidArgument(`${at}.prompt`, 'must be empty for a run step');
    const prompt = requireText(`${at}.prompt`, step.prompt, { min: 0, max: 64 * 1024 });
    return { index: i, name: requireText(`${at}.name`, step.name, stepNameRules), kind, prompt };
  });
}

/**
 * Checks a CreatePipeline request: ids, source, manifest, and 1 to 256 planned jobs with unique
 * keys, each needing only jobs planned before it (the plan is in topological order), a condition
 * (empty is `success`), an optional concurrency group and 1 to 100 steps indexed from 0, block
 * steps first.
 * @throws MeshError INVALID_ARGUMENT naming the field
 */
export function validateCreatePipeline(request: CreatePipelineRequest): NewPipeline {
  const id = requireUuid('id', request.id);
  const header = {
    repoUrl: requireText('repo_url', request.repoUrl, repoUrlRules),
    commitSha: requireText('commit_sha', request.commitSha, commitShaRules),
    manifestPath: requireText('manifest_path', request.manifestPath, { max: 1024 }),
    manifestSha256: requireText('manifest_sha256', request.manifestSha256, sha256Rules),
    workflowId: optionalUuid('workflow_id', request.workflowId),
    traceId: requireText('trace_id', request.traceId, { min: 0, max: 64 }),
  };
  if (request.jobs.length < 1 || request.jobs.length > pipelineLimits.maxJobs) {
    throw invalidArgument('jobs', `must hold 1 to ${pipelineLimits.maxJobs} jobs, got ${request.jobs.length}`);
  }
  const planned = new Set<string>();
  const jobs = request.jobs.map((job, position): NewPlannedJob => {
    const field = `jobs[${position}]`;
    const key = requireText(`${field}.key`, job.key, pipelineJobKeyRules);
    if (planned.has(key)) throw invalidArgument(`${field}.key`, `repeats ${key}`);
    const needs = job.needs.map((need, i) => {
      if (need === key) throw invalidArgument(`${field}.needs[${i}]`, 'must not name the job itself');
      if (!planned.has(need)) throw invalidArgument(`${field}.needs[${i}]`, `must name a job planned before this one, got ${JSON.stringify(need.slice(0, 256))}`);
      if (job.needs.indexOf(need) < i) throw invalidArgument(`${field}.needs[${i}]`, `repeats ${need}`);
      return need;
    });
    planned.add(key);
    const condition = job.condition || 'success';
    if (!conditions.has(condition)) throw invalidArgument(`${field}.condition`, 'must be success, failure or always');
    return {
      key,
      position,
      manifestId: requireText(`${field}.manifest_id`, job.manifestId, { max: 256 }),
      name: requireText(`${field}.name`, job.name, { max: 4096 }),
      matrix: requireStringMap(`${field}.matrix`, job.matrix, 16, 4096),
      runsOn: requireText(`${field}.runs_on`, job.runsOn, labelRules),
      needs,
      condition,
      concurrency: requireText(`${field}.concurrency`, job.concurrency, { ...concurrencyGroupRules, min: 0 }),
      steps: validateSteps(field, job),
    };
  });
  return { id, ...header, jobs };
}
