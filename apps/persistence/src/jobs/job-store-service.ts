import { JobStoreServiceService, type CreateJobRequest } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { alreadyExists, defineService, failedPrecondition, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { CommonQueryMethods, DatabasePool } from 'slonik';
import type { NotificationHub } from '../db/create-notification-hub.ts';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { touchPipeline } from '../pipelines/pipeline-queries.ts';
import { artifactWhens, jobStates, terminalJobStates } from '../validation/enum-codecs.ts';
import {
  optionalUuid,
  pageSize,
  requireInteger,
  requireStringMap,
  requireText,
  requireUuid,
} from '../validation/fields.ts';
import { commitShaRules, labelRules, pipelineJobKeyRules, repoUrlRules } from '../validation/field-rules.ts';
import { decodePageToken, pageOf } from '../validation/page-token.ts';
import { countJobs, countQueuedAhead, findJob, insertJob, listJobEvents, listJobs, transitionJob, updateJobLinks, type NewJob } from './job-queries.ts';
import { toProtoJob, toProtoJobEvent, type JobRow } from './job-row.ts';
import { finalizeJobSteps, listJobSteps, lockJobForSteps, upsertJobSteps } from './job-step-queries.ts';
import { toProtoJobStep } from './job-step-row.ts';
import { releaseHoldsOfJob } from '../pipelines/concurrency-queries.ts';
import { validateRecordJobSteps } from './validate-record-job-steps.ts';

function validateSpec({ spec, workflowId, traceId, pipelineId, pipelineJobKey }: CreateJobRequest): NewJob {
  if (!spec) throw invalidArgument('spec', 'is required');
  // Both or neither: a pipeline job is named by its pipeline and its key.
  const pipeline = optionalUuid('pipeline_id', pipelineId);
  if (!pipeline && pipelineJobKey) throw invalidArgument('pipeline_job_key', 'must be empty without pipeline_id');
  return {
    requestId: requireUuid('spec.request_id', spec.requestId),
    repoUrl: requireText('spec.repo_url', spec.repoUrl, repoUrlRules),
    commitSha: requireText('spec.commit_sha', spec.commitSha, commitShaRules),
    runsOn: requireText('spec.runs_on', spec.runsOn, labelRules),
    script: requireText('spec.script', spec.script, { min: 0, max: 1024 * 1024 }),
    env: requireStringMap('spec.env', spec.env, 256, 64 * 1024),
    timeoutMs: requireInteger('spec.timeout_ms', spec.timeoutMs, 0, 7 * 24 * 3600 * 1000),
    artifactPatterns: spec.artifactPatterns.map((p, i) => requireText(`spec.artifact_patterns[${i}]`, p, { max: 1024 })),
    // UNSPECIFIED means ON_SUCCESS: stored as such, so a repeat with either value is the same spec.
    artifactWhen: artifactWhens.toDbOptional('spec.artifact_when', spec.artifactWhen) ?? 'on_success',
    workflowId: optionalUuid('workflow_id', workflowId),
    traceId: requireText('trace_id', traceId, { min: 0, max: 64 }),
    pipelineId: pipeline,
    pipelineJobKey: pipeline ? requireText('pipeline_job_key', pipelineJobKey, pipelineJobKeyRules) : null,
  };
}

const sortedJson = (value: Record<string, string>) => JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));

function sameSpec(row: JobRow, job: NewJob): boolean {
  return (
    row.repo_url === job.repoUrl && row.commit_sha === job.commitSha && row.runs_on === job.runsOn &&
    row.script === job.script && row.timeout_ms === job.timeoutMs && sortedJson(row.env) === sortedJson(job.env) &&
    JSON.stringify(row.artifact_patterns) === JSON.stringify(job.artifactPatterns) && row.artifact_when === job.artifactWhen &&
    row.pipeline_id === job.pipelineId && row.pipeline_job_key === job.pipelineJobKey
  );
}

/** What a step still RUNNING becomes when its job ends in `jobState`. */
function stepEndOf(jobState: string): 'succeeded' | 'failed' | 'cancelled' {
  // A job succeeds only when its script exited 0, so a step it was in finished well.
  return jobState === 'succeeded' ? 'succeeded' : jobState === 'failed' ? 'failed' : 'cancelled';
}

/**
 * Ends the steps an ended job left open and takes it out of its concurrency groups, in the
 * transaction of its transition.
 */
async function finalizeStepsOfEndedJob(tx: CommonQueryMethods, job: JobRow): Promise<void> {
  await releaseHoldsOfJob(tx, job.request_id);
  const changed = await finalizeJobSteps(tx, job.request_id, stepEndOf(job.state));
  if (job.pipeline_id && changed > 0) await touchPipeline(tx, job.pipeline_id);
}

async function requireJob(pool: DatabasePool, requestId: string): Promise<JobRow> {
  const row = await findJob(pool, requestId);
  if (!row) throw notFound('JOB_NOT_FOUND', `job ${requestId} does not exist`);
  return row;
}

/** jobmesh.persistence.v1.JobStoreService over a slonik pool; watchers wake on job notifications. */
export function createJobStoreService(pool: DatabasePool, notifications: NotificationHub) {
  return defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, withDatabaseErrors({
    async createJob(request) {
      const job = validateSpec(request);
      const inserted = await insertJob(pool, job);
      if (inserted) return { job: toProtoJob(inserted), created: true };
      const existing = await requireJob(pool, job.requestId);
      if (!sameSpec(existing, job)) {
        throw alreadyExists('JOB_CONFLICT', `job ${job.requestId} exists with a different spec`);
      }
      return { job: toProtoJob(existing), created: false };
    },

    async transitionJob(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const expectedState = jobStates.toDb('expected_state', request.expectedState);
      const newState = jobStates.toDb('new_state', request.newState);
      if (expectedState === newState) throw invalidArgument('new_state', 'must differ from expected_state');
      if (terminalJobStates.has(expectedState)) {
        throw failedPrecondition('TERMINAL_STATE', `job state ${expectedState} is terminal; no transition leaves it`);
      }
      const transition = {
        requestId,
        expectedState,
        newState,
        message: requireText('message', request.message, { min: 0, max: 4096 }),
        exitCode: request.exitCode ?? null,
        error: requireText('error', request.error, { min: 0, max: 64 * 1024 }),
        terminal: terminalJobStates.has(newState),
      };
      // A final transition of a job with nothing beside its row (no pipeline, step or hold: every job
      // submitted on its own) is one statement; the others settle their steps and holds in a transaction.
      const row = !transition.terminal ? await transitionJob(pool, transition) : (await transitionJob(pool, transition, { aloneOnly: true }))
        ?? await pool.transaction(async (tx) => {
          const moved = await transitionJob(tx, transition);
          // A statement of its own after the job's row lock: it sees every step recorded before.
          if (moved) await finalizeStepsOfEndedJob(tx, moved);
          return moved;
        });
      if (!row) {
        const current = await requireJob(pool, requestId);
        throw failedPrecondition('STATE_MISMATCH', `job ${requestId} is ${current.state}, not ${expectedState}`, {
          facts: { current_state: current.state },
        });
      }
      return {
        job: toProtoJob(row),
        event: toProtoJobEvent({
          sequence: row.last_event_sequence,
          request_id: row.request_id,
          from_state: expectedState,
          to_state: row.state,
          message: request.message,
          created_at: row.event_created_at,
        }),
      };
    },

    async updateJobLinks(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const workflowId = optionalUuid('workflow_id', request.workflowId);
      const traceId = requireText('trace_id', request.traceId, { min: 0, max: 64 });
      const row = await updateJobLinks(pool, requestId, workflowId, traceId);
      if (!row) throw notFound('JOB_NOT_FOUND', `job ${requestId} does not exist`);
      return { job: toProtoJob(row) };
    },

    async getJob(request) {
      return { job: toProtoJob(await requireJob(pool, requireUuid('request_id', request.requestId))) };
    },

    async listJobs(request) {
      const limit = pageSize('page_size', request.pageSize, 50, 500);
      const rows = await listJobs(pool, {
        states: request.states.map((s, i) => jobStates.toDb(`states[${i}]`, s)),
        runsOn: requireText('runs_on', request.runsOn, { min: 0, max: 128 }),
        repoUrl: requireText('repo_url', request.repoUrl, { min: 0, max: 2048 }),
        limit,
        after: decodePageToken('page_token', request.pageToken),
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.cursor_at, id: row.request_id }));
      return { jobs: page.items.map(toProtoJob), nextPageToken: page.nextPageToken };
    },

    async getQueuePosition(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const row = await countQueuedAhead(pool, requestId);
      if (!row) throw notFound('JOB_NOT_FOUND', `job ${requestId} does not exist`);
      return { jobsAhead: row.jobs_ahead, state: jobStates.fromDb(row.state) };
    },

    async countJobs(request) {
      const count = await countJobs(pool, {
        states: request.states.map((s, i) => jobStates.toDb(`states[${i}]`, s)),
        runsOn: requireText('runs_on', request.runsOn, { min: 0, max: 128 }),
        limit: pageSize('limit', request.limit, 1_000_000, 1_000_000),
      });
      return { count };
    },

    async *watchJobEvents(request, context) {
      const requestId = requireUuid('request_id', request.requestId);
      let after = requireInteger('after_sequence', request.afterSequence, 0, Number.MAX_SAFE_INTEGER);
      const subscription = notifications.subscribe(requestId);
      try {
        while (!context.signal.aborted) {
          const job = await requireJob(pool, requestId);
          // Only events up to the job's own latest one, so the job sent matches the last event.
          const events = await listJobEvents(pool, requestId, after, 1000, job.last_event_sequence);
          if (events.length) {
            after = events.at(-1)!.sequence;
            const current = after === job.last_event_sequence ? toProtoJob(job) : undefined;
            yield { events: events.map(toProtoJobEvent), job: current };
            continue;
          }
          if (terminalJobStates.has(job.state)) return;
          await subscription.wait(1000, context.signal);
        }
      } finally {
        subscription.close();
      }
    },

    async recordJobSteps(request) {
      const { requestId, steps } = validateRecordJobSteps(request);
      await pool.transaction(async (tx) => {
        const job = await lockJobForSteps(tx, requestId);
        if (!job) throw notFound('JOB_NOT_FOUND', `job ${requestId} does not exist`);
        const changed = await upsertJobSteps(tx, requestId, steps);
        // Steps recorded after the job ended (a late report) are ended at once, as the transition would have.
        const finalized = terminalJobStates.has(job.state) ? await finalizeJobSteps(tx, requestId, stepEndOf(job.state)) : 0;
        if (job.pipeline_id && changed + finalized > 0) await touchPipeline(tx, job.pipeline_id);
      });
      return {};
    },

    async listJobSteps(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const rows = await listJobSteps(pool, requestId);
      if (rows.length === 0) await requireJob(pool, requestId);
      return { steps: rows.map(toProtoJobStep) };
    },

    async listJobEvents(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const after = requireInteger('after_sequence', request.afterSequence, 0, Number.MAX_SAFE_INTEGER);
      const limit = pageSize('page_size', request.pageSize, 100, 1000);
      const rows = await listJobEvents(pool, requestId, after, limit);
      if (rows.length === 0) await requireJob(pool, requestId);
      return { events: rows.map(toProtoJobEvent) };
    },
  }));
}
