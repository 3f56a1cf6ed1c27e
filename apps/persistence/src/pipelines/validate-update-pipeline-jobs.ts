import type { UpdatePipelineJobsRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { pipelineJobStates } from '../validation/enum-codecs.ts';
import { pipelineJobKeyRules } from '../validation/field-rules.ts';
import { optionalDate, optionalUuid, requireInteger, requireText, requireUuid } from '../validation/fields.ts';
import type { PipelineJobChange } from './pipeline-queries.ts';
import { pipelineLimits } from './validate-create-pipeline.ts';

/** An attempt number: from 1. @throws INVALID_ARGUMENT naming the field */
export const requireAttempt = (field: string, value: number) => requireInteger(field, value, 1, 2_147_483_647);

/**
 * Checks an UpdatePipelineJobs request: pipeline id, attempt, 1 to 256 changes of distinct jobs,
 * each with a state.
 * @throws MeshError INVALID_ARGUMENT naming the field
 */
export function validateUpdatePipelineJobs(request: UpdatePipelineJobsRequest): { pipelineId: string; attempt: number; changes: PipelineJobChange[] } {
  const pipelineId = requireUuid('pipeline_id', request.pipelineId);
  const attempt = requireAttempt('attempt', request.attempt);
  if (request.updates.length < 1 || request.updates.length > pipelineLimits.maxJobs) {
    throw invalidArgument('updates', `must hold 1 to ${pipelineLimits.maxJobs} changes, got ${request.updates.length}`);
  }
  const seen = new Set<string>();
  const changes = request.updates.map((update, i): PipelineJobChange => {
    const field = (name: string) => `updates[${i}].${name}`;
    const key = requireText(field('key'), update.key, pipelineJobKeyRules);
    if (seen.has(key)) throw invalidArgument(field('key'), `repeats ${key}`);
    seen.add(key);
    return {
      key,
      state: pipelineJobStates.toDb(field('state'), update.state),
      reason: requireText(field('reason'), update.reason, { min: 0, max: 64 * 1024 }),
      jobRequestId: optionalUuid(field('job_request_id'), update.jobRequestId),
      runs: requireInteger(field('runs'), update.runs, 0, 1_000_000),
      startedAt: optionalDate(field('started_at'), update.startedAt),
      finishedAt: optionalDate(field('finished_at'), update.finishedAt),
    };
  });
  return { pipelineId, attempt, changes };
}
