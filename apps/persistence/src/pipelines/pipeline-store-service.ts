import { PipelineStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { alreadyExists, defineService, failedPrecondition, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { pipelineStates, terminalPipelineStates } from '../validation/enum-codecs.ts';
import { concurrencyGroupRules, pipelineJobKeyRules } from '../validation/field-rules.ts';
import { pageSize, requireInteger, requireText, requireUuid } from '../validation/fields.ts';
import { decodePageToken, pageOf } from '../validation/page-token.ts';
import { acquireConcurrencyGroup, releaseConcurrencyGroup } from './concurrency-queries.ts';
import { isSamePipeline } from './is-same-pipeline.ts';
import { toBlockStep } from './merge-job-steps.ts';
import {
  findPipeline, findPipelineJobs, finishPipeline, insertApproval, insertPipeline, listPipelines, lockPipeline, lockPipelineJob,
  startPipelineAttempt, touchPipeline, updatePipelineJobs,
} from './pipeline-queries.ts';
import { toProtoPipeline, type PipelineRow } from './pipeline-row.ts';
import { pipelineLimits, validateCreatePipeline } from './validate-create-pipeline.ts';
import { requireAttempt, validateUpdatePipelineJobs } from './validate-update-pipeline-jobs.ts';

const pipelineNotFound = (field: 'id' | 'pipeline_id', id: string) => notFound('PIPELINE_NOT_FOUND', `${field}: pipeline ${id} does not exist`, { field });
const staleAttempt = (row: PipelineRow, attempt: number) =>
  failedPrecondition('STALE_ATTEMPT', `pipeline ${row.id} is at attempt ${row.attempt}, not ${attempt}`, { facts: { attempt: String(row.attempt) } });
const groupOf = (group: string) => requireText('group', group, concurrencyGroupRules);

/** The first of `keys` not in `found`, as NOT_FOUND naming its field; null when all were found. */
function missingJob(keys: readonly string[], found: ReadonlySet<string>, field: (i: number) => string) {
  const i = keys.findIndex((key) => !found.has(key));
  return i < 0 ? null : notFound('PIPELINE_JOB_NOT_FOUND', `${field(i)}: no job ${keys[i]} in the pipeline`, { field: field(i) });
}

/** A pipeline with its jobs, read pipeline first so the jobs are at least as new as its updated_at. */
async function readPipeline(db: CommonQueryMethods, id: string, row?: PipelineRow) {
  const pipeline = row ?? (await findPipeline(db, id));
  if (!pipeline) throw pipelineNotFound('id', id);
  return toProtoPipeline(pipeline, await findPipelineJobs(db, id));
}

/**
 * jobmesh.persistence.v1.PipelineStoreService: pipelines and their planned jobs (fenced by
 * attempt), approvals of block steps, concurrency groups.
 */
export function createPipelineStoreService(pool: DatabasePool) {
  return defineService('jobmesh.persistence.v1.PipelineStoreService', PipelineStoreServiceService, withDatabaseErrors({
    async createPipeline(request) {
      const asked = validateCreatePipeline(request);
      return pool.transaction(async (tx) => {
        const inserted = await insertPipeline(tx, asked);
        if (inserted) return { pipeline: await readPipeline(tx, asked.id, inserted), created: true };
        // A concurrent create of the same id has committed (the insert waited for it): compare with it.
        const stored = (await findPipeline(tx, asked.id))!;
        const jobs = await findPipelineJobs(tx, asked.id);
        if (!isSamePipeline(stored, jobs, asked)) {
          throw alreadyExists('PIPELINE_CONFLICT', `pipeline ${asked.id} exists with another source, manifest or plan`);
        }
        return { pipeline: toProtoPipeline(stored, jobs), created: false };
      });
    },

    async getPipeline(request) {
      return { pipeline: await readPipeline(pool, requireUuid('id', request.id)) };
    },

    async listPipelines(request) {
      const limit = pageSize('page_size', request.pageSize, 50, 500);
      const rows = await listPipelines(pool, {
        states: request.states.map((s, i) => pipelineStates.toDb(`states[${i}]`, s)),
        repoUrl: requireText('repo_url', request.repoUrl, { min: 0, max: 2048 }),
        limit,
        after: decodePageToken('page_token', request.pageToken),
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.cursor_at, id: row.id }));
      return { pipelines: page.items.map((row) => toProtoPipeline(row)), nextPageToken: page.nextPageToken };
    },

    async updatePipelineJobs(request) {
      const { pipelineId, attempt, changes } = validateUpdatePipelineJobs(request);
      await pool.transaction(async (tx) => {
        const pipeline = await lockPipeline(tx, pipelineId);
        if (!pipeline) throw pipelineNotFound('pipeline_id', pipelineId);
        if (pipeline.attempt !== attempt) throw staleAttempt(pipeline, attempt);
        const updated = await updatePipelineJobs(tx, pipelineId, changes);
        const missing = missingJob(changes.map((c) => c.key), updated, (i) => `updates[${i}].key`);
        if (missing) throw missing;
        await touchPipeline(tx, pipelineId);
      });
      return {};
    },

    async finishPipeline(request) {
      const id = requireUuid('id', request.id);
      const attempt = requireAttempt('attempt', request.attempt);
      const state = pipelineStates.toDb('state', request.state);
      if (!terminalPipelineStates.has(state)) throw invalidArgument('state', 'must be SUCCEEDED, FAILED or CANCELLED');
      const error = requireText('error', request.error, { min: 0, max: 64 * 1024 });
      const finished = await finishPipeline(pool, id, attempt, state, error);
      if (finished) return { pipeline: toProtoPipeline(finished) };
      const current = await findPipeline(pool, id);
      if (!current) throw pipelineNotFound('id', id);
      if (current.attempt !== attempt) throw staleAttempt(current, attempt);
      // A repeat of a finish that landed (its answer was lost) gets the same answer.
      if (current.state === state) return { pipeline: toProtoPipeline(current) };
      throw failedPrecondition('PIPELINE_ENDED', `attempt ${attempt} of pipeline ${id} ended ${current.state} already`, { facts: { state: current.state } });
    },

    async startPipelineAttempt(request) {
      const id = requireUuid('id', request.id);
      const expected = requireAttempt('expected_attempt', request.expectedAttempt);
      const workflowId = requireUuid('workflow_id', request.workflowId);
      if (request.rerunKeys.length < 1 || request.rerunKeys.length > pipelineLimits.maxJobs) {
        throw invalidArgument('rerun_keys', `must name 1 to ${pipelineLimits.maxJobs} jobs, got ${request.rerunKeys.length}`);
      }
      const rerunKeys = request.rerunKeys.map((key, i) => requireText(`rerun_keys[${i}]`, key, pipelineJobKeyRules));
      const pipeline = await pool.transaction(async (tx) => {
        const current = await lockPipeline(tx, id);
        if (!current) throw pipelineNotFound('id', id);
        // The same call again (its answer was lost): the attempt it started.
        if (current.attempt === expected + 1 && current.workflow_id === workflowId) return readPipeline(tx, id, current);
        if (current.attempt !== expected) throw staleAttempt(current, expected);
        if (!terminalPipelineStates.has(current.state)) throw failedPrecondition('PIPELINE_RUNNING', `pipeline ${id} is still running attempt ${expected}`);
        const reset = await startPipelineAttempt(tx, id, workflowId, rerunKeys);
        const missing = missingJob(rerunKeys, reset, (i) => `rerun_keys[${i}]`);
        if (missing) throw missing;
        return readPipeline(tx, id);
      });
      return { pipeline };
    },

    async recordStepApproval(request) {
      const pipelineId = requireUuid('pipeline_id', request.pipelineId);
      const key = requireText('job_key', request.jobKey, pipelineJobKeyRules);
      const stepIndex = requireInteger('step_index', request.stepIndex, 0, pipelineLimits.maxSteps - 1);
      const approvedBy = requireText('approved_by', request.approvedBy, { max: 256 });
      return pool.transaction(async (tx) => {
        const job = await lockPipelineJob(tx, pipelineId, key);
        if (!job) {
          if (!(await findPipeline(tx, pipelineId))) throw pipelineNotFound('pipeline_id', pipelineId);
          throw notFound('PIPELINE_JOB_NOT_FOUND', `job_key: no job ${key} in pipeline ${pipelineId}`, { field: 'job_key' });
        }
        const planned = job.steps.find((step) => step.index === stepIndex);
        if (!planned) throw notFound('STEP_NOT_FOUND', `step_index: job ${key} has no step ${stepIndex}`, { field: 'step_index' });
        if (planned.kind !== 'block') throw failedPrecondition('NOT_A_BLOCK_STEP', `step ${stepIndex} of job ${key} is a run step: nothing to approve`);
        if (job.approvals[String(stepIndex)]) return { step: toBlockStep(planned, job), approvedNow: false };
        const approvals = await insertApproval(tx, pipelineId, key, stepIndex, approvedBy);
        await touchPipeline(tx, pipelineId);
        return { step: toBlockStep(planned, { ...job, approvals }), approvedNow: true };
      });
    },

    async acquireConcurrencyGroup(request) {
      const group = groupOf(request.group);
      const jobRequestId = requireUuid('job_request_id', request.jobRequestId);
      const place = await pool.transaction((tx) => acquireConcurrencyGroup(tx, group, jobRequestId));
      if (!place) throw notFound('JOB_NOT_FOUND', `job_request_id: job ${jobRequestId} does not exist`, { field: 'job_request_id' });
      return { held: place.ahead === 0, ahead: place.ahead };
    },

    async releaseConcurrencyGroup(request) {
      await releaseConcurrencyGroup(pool, groupOf(request.group), requireUuid('job_request_id', request.jobRequestId));
      return {};
    },
  }));
}
