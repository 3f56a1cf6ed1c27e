import type { Workflow, WorkflowStep } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { stepStatuses, workflowStatuses } from '../validation/enum-codecs.ts';
import type { PageCursor } from '../validation/page-token.ts';
import { channels } from '../db/create-notification-hub.ts';
import { eventArrived } from './workflow-event-queries.ts';

const WorkflowRow = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  input_json: z.string(),
  output_json: z.string().nullable(),
  error: z.string(),
  parent_id: z.string().nullable(),
  job_request_id: z.string().nullable(),
  lease_owner: z.string().nullable(),
  lease_expires_at: z.date().nullable(),
  fencing_token: z.number(),
  cancel_requested: z.boolean(),
  cancel_reason: z.string(),
  scheduled_at: z.date(),
  deadline_at: z.date().nullable(),
  claim_count: z.number(),
  created_at: z.date(),
  updated_at: z.date(),
  finished_at: z.date().nullable(),
  waiting_for_event: z.string().nullable(),
  waiting_for_event_index: z.number().nullable(),
  cursor_at: z.string(),
});
type WorkflowRow = z.infer<typeof WorkflowRow>;
const columns = sql.fragment`w.id, w.name, w.status, w.input_json::text AS input_json, w.output_json::text AS output_json,
  w.error, w.parent_id, w.job_request_id, w.lease_owner, w.lease_expires_at, w.fencing_token, w.cancel_requested,
  w.cancel_reason, w.scheduled_at, w.deadline_at, w.claim_count, w.created_at, w.updated_at, w.finished_at,
  w.waiting_for_event, w.waiting_for_event_index, w.created_at::text AS cursor_at`;

const StepRow = z.object({
  step_number: z.number(),
  name: z.string(),
  status: z.string(),
  output_json: z.string().nullable(),
  error_json: z.string().nullable(),
  attempts: z.number(),
  started_at: z.date(),
  finished_at: z.date(),
});
type StepRow = z.infer<typeof StepRow>;
const stepColumns = sql.fragment`step_number, name, status, output_json::text AS output_json, error_json::text AS error_json,
  attempts, started_at, finished_at`;

/** The proto Workflow of a row. */
export function toProtoWorkflow(row: WorkflowRow): Workflow {
  return {
    id: row.id,
    name: row.name,
    status: workflowStatuses.fromDb(row.status),
    inputJson: row.input_json,
    outputJson: row.output_json ?? '',
    error: row.error,
    parentId: row.parent_id ?? '',
    jobRequestId: row.job_request_id ?? '',
    leaseOwner: row.lease_owner ?? '',
    leaseExpiresAt: row.lease_expires_at ?? undefined,
    fencingToken: row.fencing_token,
    cancelRequested: row.cancel_requested,
    cancelReason: row.cancel_reason,
    scheduledAt: row.scheduled_at,
    deadlineAt: row.deadline_at ?? undefined,
    claimCount: row.claim_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at ?? undefined,
    waitingForEvent: row.waiting_for_event ?? '',
    waitingForEventIndex: row.waiting_for_event_index ?? 0,
  };
}

/** The proto WorkflowStep of a row. */
export function toProtoStep(row: StepRow): WorkflowStep {
  return {
    stepNumber: row.step_number,
    name: row.name,
    status: stepStatuses.fromDb(row.status),
    outputJson: row.output_json ?? '',
    errorJson: row.error_json ?? '',
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** A validated workflow to create. */
export interface NewWorkflow {
  id: string;
  name: string;
  inputJson: string;
  parentId: string | null;
  jobRequestId: string | null;
  scheduledAt: Date | null;
  deadlineAt: Date | null;
  /** Lease it at once to this owner when it is due (start and claim in one statement). */
  claim: { owner: string; leaseMs: number } | null;
}

/**
 * A NOTIFY on the workflow channel (payload: the name) when the row `w` is claimable now:
 * runtimes watching that name claim at once (WatchClaimableWorkflows). Sent at commit.
 */
const notifyIfClaimable = sql.fragment`CASE WHEN w.status = 'pending' AND w.scheduled_at <= now() THEN pg_notify(${channels.workflow}, w.name)::text END AS notified`;

/**
 * Inserts a workflow; null when the id exists already. With `claim` and due now, it is stored
 * RUNNING and leased (fencing token 1, claim count 1) as ClaimWorkflows would; otherwise
 * PENDING, and announced when due.
 */
export async function insertWorkflow(db: CommonQueryMethods, w: NewWorkflow) {
  const scheduledAt = sql.fragment`COALESCE(${w.scheduledAt?.toISOString() ?? null}::timestamptz, now())`;
  const claimed = w.claim ? sql.fragment`${scheduledAt} <= now()` : sql.fragment`false`;
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH w AS (
      INSERT INTO workflows (id, name, input_json, parent_id, job_request_id, scheduled_at, deadline_at,
                             status, lease_owner, lease_expires_at, fencing_token, claim_count)
      SELECT ${w.id}, ${w.name}, ${w.inputJson}::jsonb, ${w.parentId}, ${w.jobRequestId}, ${scheduledAt}, ${w.deadlineAt?.toISOString() ?? null}::timestamptz,
             CASE WHEN c.claimed THEN 'running' ELSE 'pending' END::workflow_status,
             CASE WHEN c.claimed THEN ${w.claim?.owner ?? null}::text END,
             CASE WHEN c.claimed THEN now() + ${w.claim?.leaseMs ?? 0} * interval '1 millisecond' END,
             CASE WHEN c.claimed THEN 1 ELSE 0 END, CASE WHEN c.claimed THEN 1 ELSE 0 END
      FROM (SELECT ${claimed} AS claimed) c
      ON CONFLICT (id) DO NOTHING RETURNING *
    )
    SELECT ${columns}, ${notifyIfClaimable} FROM w`);
}

/** True when the stored workflow has this name, input and parent. */
export async function isSameWorkflow(db: CommonQueryMethods, w: NewWorkflow): Promise<boolean> {
  const row = await db.maybeOne(sql.type(z.object({ same: z.boolean() }))`
    SELECT (name = ${w.name} AND input_json = ${w.inputJson}::jsonb AND parent_id IS NOT DISTINCT FROM ${w.parentId}::uuid) AS same
    FROM workflows WHERE id = ${w.id}`);
  return row?.same ?? false;
}

/** Reads one workflow. */
export async function findWorkflow(db: CommonQueryMethods, id: string, lock: 'none' | 'share' = 'none') {
  return db.maybeOne(sql.type(WorkflowRow)`
    SELECT ${columns} FROM workflows w WHERE w.id = ${id} ${lock === 'share' ? sql.fragment`FOR SHARE` : sql.fragment``}`);
}

/**
 * Leases due PENDING workflows and RUNNING ones whose lease expired. SKIP
 * LOCKED lets replicas claim side by side without waiting on each other; each
 * claim bumps the fencing token so the previous holder's writes are refused.
 */
export async function claimWorkflows(db: CommonQueryMethods, owner: string, leaseMs: number, limit: number, names: string[]) {
  return db.any(sql.type(WorkflowRow)`
    WITH c AS (
      SELECT id FROM workflows
      WHERE ((status = 'pending' AND scheduled_at <= now()) OR (status = 'running' AND lease_expires_at < now()))
        AND (cardinality(${sql.array(names, 'text')}) = 0 OR name = ANY(${sql.array(names, 'text')}))
      ORDER BY scheduled_at, created_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ), w AS (
      UPDATE workflows w SET status = 'running', lease_owner = ${owner},
        lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
        fencing_token = w.fencing_token + 1, claim_count = w.claim_count + 1,
        waiting_for_event = NULL, waiting_for_event_index = NULL
      FROM c WHERE w.id = c.id RETURNING w.*
    )
    SELECT ${columns} FROM w ORDER BY w.scheduled_at, w.created_at`);
}

/** Extends a lease held with the current token. */
export async function heartbeatWorkflow(db: CommonQueryMethods, id: string, owner: string, token: number, leaseMs: number) {
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH w AS (
      UPDATE workflows SET lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
      WHERE id = ${id} AND status = 'running' AND fencing_token = ${token} AND lease_owner = ${owner} RETURNING *
    )
    SELECT ${columns} FROM w`);
}

/** A validated step checkpoint. */
export interface NewStep {
  stepNumber: number;
  name: string;
  status: string;
  outputJson: string | null;
  errorJson: string | null;
  attempts: number;
  startedAt: Date;
  finishedAt: Date;
}

/** Reads a workflow's steps, or one of them. */
export async function findSteps(db: CommonQueryMethods, workflowId: string, stepNumber?: number) {
  return db.any(sql.type(StepRow)`
    SELECT ${stepColumns} FROM workflow_steps
    WHERE workflow_id = ${workflowId} ${stepNumber === undefined ? sql.fragment`` : sql.fragment`AND step_number = ${stepNumber}`}
    ORDER BY step_number`);
}

/**
 * Locks a workflow's row until the transaction ends (the lock an UPDATE of it takes): raises and
 * releases take it first, so each then reads what the other committed. @returns null when there is no such workflow
 */
export async function lockWorkflow(db: CommonQueryMethods, id: string) {
  return db.maybeOne(sql.type(z.object({ status: z.string() }))`
    SELECT status::text AS status FROM workflows WHERE id = ${id} FOR NO KEY UPDATE`);
}

/** The scheduled_at of a workflow due at no time (a wait without a time limit): the last day a proto Timestamp holds. */
const never = sql.fragment`'9999-12-31T00:00:00Z'::timestamptz`;

/** What a released workflow waits for: the `index`-th event (from 0) of `name`. */
export interface EventWait {
  name: string;
  index: number;
}

/**
 * Gives a lease back: PENDING again, claimable from resumeAt (unset: now), or with a wait once
 * the event exists (at once when it does already; else at resumeAt or the deadline, whichever
 * comes first, or never). A cancel request makes it claimable at once. With a wait, the caller
 * must hold the row lock (lockWorkflow) taken in an earlier statement of its transaction: this
 * statement's snapshot then includes every event whose raise committed before, and later raises
 * see the wait.
 */
export async function releaseWorkflow(db: CommonQueryMethods, id: string, token: number, resumeAt: Date | null, wait: EventWait | null) {
  const at = sql.fragment`${resumeAt?.toISOString() ?? null}::timestamptz`;
  const scheduledAt = wait === null
    ? sql.fragment`CASE WHEN w.cancel_requested THEN now() ELSE COALESCE(${at}, now()) END`
    : sql.fragment`CASE WHEN w.cancel_requested OR ${eventArrived(sql.fragment`w.id`, wait.name, sql.fragment`${wait.index}::int4`)} THEN now()
        ELSE LEAST(COALESCE(${at}, ${never}), COALESCE(w.deadline_at, ${never})) END`;
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH w AS (
      UPDATE workflows w SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL, scheduled_at = ${scheduledAt},
        waiting_for_event = ${wait?.name ?? null}::text, waiting_for_event_index = ${wait?.index ?? null}::int4
      WHERE w.id = ${id} AND w.status = 'running' AND w.fencing_token = ${token} RETURNING w.*
    )
    SELECT ${columns}, ${notifyIfClaimable} FROM w`);
}

/** Records the final status of a workflow held with the current token. */
export async function completeWorkflow(db: CommonQueryMethods, id: string, token: number, status: string, outputJson: string | null, error: string) {
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH w AS (
      UPDATE workflows SET status = ${status}::workflow_status, output_json = ${outputJson}::jsonb, error = ${error},
        finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${id} AND status = 'running' AND fencing_token = ${token} RETURNING *
    )
    SELECT ${columns} FROM w`);
}

/**
 * CompleteWorkflow of a workflow without a parent, with its final steps, in ONE statement (one
 * round trip, one commit, no BEGIN/COMMIT): the steps are inserted and the end recorded only
 * when the row is RUNNING under `token` and has no parent, and the end only when no final step
 * collides with a step recorded under another name. @returns the completed row; null when any
 * condition failed (the caller then takes the transactional path, which tells why)
 */
export async function completeOrphanWorkflow(db: CommonQueryMethods, id: string, token: number, status: string, outputJson: string | null, error: string, steps: readonly NewStep[]) {
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH input AS (
      SELECT * FROM unnest(
        ${sql.array(steps.map((s) => s.stepNumber), 'int4')}, ${sql.array(steps.map((s) => s.name), 'text')},
        ${sql.array(steps.map((s) => s.status), 'text')}, ${sql.array(steps.map((s) => s.outputJson), 'text')},
        ${sql.array(steps.map((s) => s.errorJson), 'text')}, ${sql.array(steps.map((s) => s.attempts), 'int4')},
        ${sql.array(steps.map((s) => s.startedAt.toISOString()), 'timestamptz')}, ${sql.array(steps.map((s) => s.finishedAt.toISOString()), 'timestamptz')}
      ) AS i(step_number, name, status, output_json, error_json, attempts, started_at, finished_at)
    ), held AS (
      SELECT w.id FROM workflows w
      WHERE w.id = ${id} AND w.status = 'running' AND w.fencing_token = ${token} AND w.parent_id IS NULL
        -- A final step recorded before under another name: not the recorded workflow (the slow path says NONDETERMINISM).
        AND NOT EXISTS (SELECT 1 FROM workflow_steps s JOIN input i ON s.step_number = i.step_number WHERE s.workflow_id = w.id AND s.name <> i.name)
      FOR UPDATE
    ), ins AS (
      INSERT INTO workflow_steps (workflow_id, step_number, name, status, output_json, error_json, attempts, started_at, finished_at)
      SELECT held.id, i.step_number, i.name, i.status::step_status, i.output_json::jsonb, i.error_json::jsonb, i.attempts, i.started_at, i.finished_at
      FROM input i CROSS JOIN held ORDER BY i.step_number
      ON CONFLICT (workflow_id, step_number) DO NOTHING
    ), w AS (
      UPDATE workflows SET status = ${status}::workflow_status, output_json = ${outputJson}::jsonb, error = ${error},
        finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
      WHERE id IN (SELECT id FROM held) RETURNING *
    )
    SELECT ${columns} FROM w`);
}

/** Flags a workflow for cancellation and makes a sleeping or waiting one due now; a finished one is left as it is. */
export async function requestCancel(db: CommonQueryMethods, id: string, reason: string) {
  return db.maybeOne(sql.type(WorkflowRow)`
    WITH w AS (
      UPDATE workflows SET cancel_requested = true, cancel_reason = ${reason},
        -- A sleeping workflow, or one waiting for an event, wakes up now to see the request.
        scheduled_at = LEAST(scheduled_at, now())
      WHERE id = ${id} AND status IN ('pending', 'running') AND NOT cancel_requested RETURNING *
    )
    SELECT ${columns}, ${notifyIfClaimable} FROM w`);
}

/** Filters of listWorkflows. */
export interface WorkflowFilter {
  statuses: string[];
  name: string;
  parentId: string | null;
  limit: number;
  after: PageCursor | null;
}

/** Lists workflows newest first, limit + 1 rows. */
export async function listWorkflows(db: CommonQueryMethods, f: WorkflowFilter) {
  const conditions = [sql.fragment`TRUE`];
  if (f.statuses.length) conditions.push(sql.fragment`w.status = ANY(${sql.array(f.statuses, 'text')}::workflow_status[])`);
  if (f.name) conditions.push(sql.fragment`w.name = ${f.name}`);
  if (f.parentId) conditions.push(sql.fragment`w.parent_id = ${f.parentId}`);
  if (f.after) conditions.push(sql.fragment`(w.created_at, w.id) < (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
  return db.any(sql.type(WorkflowRow)`
    SELECT ${columns} FROM workflows w WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY w.created_at DESC, w.id DESC LIMIT ${f.limit + 1}`);
}

/** One checkpoint of a batch: the step, the workflow it belongs to and the token it is written under. */
export interface StepCheckpoint {
  workflowId: string;
  fencingToken: number;
  step: NewStep;
}

const CheckpointOutcomeRow = z.object({
  ord: z.number(),
  workflow_status: z.string().nullable(),
  current_token: z.number().nullable(),
  recorded: z.boolean(),
  step_number: z.number().nullable(),
  name: z.string().nullable(),
  status: z.string().nullable(),
  output_json: z.string().nullable(),
  error_json: z.string().nullable(),
  attempts: z.number().nullable(),
  started_at: z.date().nullable(),
  finished_at: z.date().nullable(),
});

/** What a checkpoint found: the workflow's status and token (null: no such workflow) and the step as stored, if visible. */
export interface CheckpointOutcome {
  workflowStatus: string | null;
  currentToken: number | null;
  /** True when this statement inserted the step. */
  recorded: boolean;
  /** The inserted step, or the one recorded earlier (null when the fence did not hold, or a concurrent insert is not visible yet). */
  step: StepRow | null;
}

/**
 * Writes checkpoints of any number of workflows in one statement (one round trip, one
 * commit): each row is inserted only if its workflow is RUNNING under its fencing token.
 * The workflow rows are read FOR SHARE (in id order), so a concurrent claim either
 * waits for this statement to commit or has committed first, and then the re-checked
 * row carries the new token and the stale checkpoint is not written. A step number
 * already recorded is left as it was (ON CONFLICT DO NOTHING) and returned.
 * Callers must not put the same (workflow, step number) twice in one batch.
 * @returns one outcome per checkpoint, in order
 */
export async function insertStepCheckpoints(db: CommonQueryMethods, items: readonly StepCheckpoint[]): Promise<CheckpointOutcome[]> {
  const rows = await db.any(sql.type(CheckpointOutcomeRow)`
    WITH input AS (
      SELECT * FROM unnest(
        ${sql.array(items.map((i) => i.workflowId), 'uuid')}, ${sql.array(items.map((i) => i.fencingToken), 'int8')},
        ${sql.array(items.map((i) => i.step.stepNumber), 'int4')}, ${sql.array(items.map((i) => i.step.name), 'text')},
        ${sql.array(items.map((i) => i.step.status), 'text')}, ${sql.array(items.map((i) => i.step.outputJson), 'text')},
        ${sql.array(items.map((i) => i.step.errorJson), 'text')}, ${sql.array(items.map((i) => i.step.attempts), 'int4')},
        ${sql.array(items.map((i) => i.step.startedAt.toISOString()), 'timestamptz')},
        ${sql.array(items.map((i) => i.step.finishedAt.toISOString()), 'timestamptz')}
      ) WITH ORDINALITY AS i(workflow_id, fencing_token, step_number, name, status, output_json, error_json, attempts, started_at, finished_at, ord)
    ), w AS (
      SELECT w.id, w.status, w.fencing_token FROM workflows w
      WHERE w.id IN (SELECT workflow_id FROM input) ORDER BY w.id FOR SHARE
    ), ins AS (
      INSERT INTO workflow_steps (workflow_id, step_number, name, status, output_json, error_json, attempts, started_at, finished_at)
      SELECT i.workflow_id, i.step_number, i.name, i.status::step_status, i.output_json::jsonb, i.error_json::jsonb, i.attempts, i.started_at, i.finished_at
      FROM input i JOIN w ON w.id = i.workflow_id AND w.status = 'running' AND w.fencing_token = i.fencing_token
      -- Every statement inserts in key order: two batches holding the same keys wait for each other, never deadlock.
      ORDER BY i.workflow_id, i.step_number
      ON CONFLICT (workflow_id, step_number) DO NOTHING
      RETURNING workflow_id, ${stepColumns}
    )
    SELECT i.ord::int8 AS ord, w.status::text AS workflow_status, w.fencing_token AS current_token, (ins.workflow_id IS NOT NULL) AS recorded,
      COALESCE(ins.step_number, s.step_number) AS step_number, COALESCE(ins.name, s.name) AS name,
      COALESCE(ins.status, s.status)::text AS status, COALESCE(ins.output_json, s.output_json::text) AS output_json,
      COALESCE(ins.error_json, s.error_json::text) AS error_json, COALESCE(ins.attempts, s.attempts) AS attempts,
      COALESCE(ins.started_at, s.started_at) AS started_at, COALESCE(ins.finished_at, s.finished_at) AS finished_at
    FROM input i
    LEFT JOIN w ON w.id = i.workflow_id
    LEFT JOIN ins ON ins.workflow_id = i.workflow_id AND ins.step_number = i.step_number
    -- Only rows committed before this statement: its own inserts are seen through ins.
    LEFT JOIN workflow_steps s ON ins.workflow_id IS NULL AND w.status = 'running' AND w.fencing_token = i.fencing_token
      AND s.workflow_id = i.workflow_id AND s.step_number = i.step_number
    ORDER BY i.ord`);
  return rows.map((row) => ({
    workflowStatus: row.workflow_status,
    currentToken: row.current_token,
    recorded: row.recorded,
    step: row.step_number === null ? null : {
      step_number: row.step_number, name: row.name!, status: row.status!, output_json: row.output_json, error_json: row.error_json,
      attempts: row.attempts!, started_at: row.started_at!, finished_at: row.finished_at!,
    },
  }));
}
