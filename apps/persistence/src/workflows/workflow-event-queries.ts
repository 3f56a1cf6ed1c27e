import type { WorkflowEvent } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { channels } from '../db/create-notification-hub.ts';
import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';

const EventRow = z.object({
  workflow_id: z.string(),
  seq: z.number(),
  name: z.string(),
  payload_json: z.string(),
  dedupe_key: z.string().nullable(),
  raised_at: z.date(),
});
/** A stored workflow event. */
export type EventRow = z.infer<typeof EventRow>;
const eventColumns = sql.fragment`workflow_id, seq, name, payload_json::text AS payload_json, dedupe_key, raised_at`;

/** The proto WorkflowEvent of a row. */
export function toProtoEvent(row: EventRow): WorkflowEvent {
  return {
    workflowId: row.workflow_id,
    seq: row.seq,
    name: row.name,
    payloadJson: row.payload_json,
    dedupeKey: row.dedupe_key ?? '',
    raisedAt: row.raised_at,
  };
}

/** True when the `index`-th event (from 0) of `name` exists for the workflow `workflowId` names. */
export function eventArrived(workflowId: FragmentSqlToken, name: string, index: FragmentSqlToken) {
  return sql.fragment`(SELECT count(*) FROM workflow_events e WHERE e.workflow_id = ${workflowId} AND e.name = ${name}) > ${index}`;
}

/** A validated event to store. */
export interface NewWorkflowEvent {
  workflowId: string;
  name: string;
  payloadJson: string;
  dedupeKey: string | null;
}

/** The event stored under a dedupe key, if any. */
export async function findEventByDedupeKey(db: CommonQueryMethods, workflowId: string, dedupeKey: string) {
  return db.maybeOne(sql.type(EventRow)`
    SELECT ${eventColumns} FROM workflow_events WHERE workflow_id = ${workflowId} AND dedupe_key = ${dedupeKey}`);
}

/**
 * Stores an event as the workflow's next one. The caller must hold the workflow's row lock
 * (lockWorkflow, in an earlier statement): seq is then the workflow's last one plus 1, given in
 * commit order.
 */
export async function insertWorkflowEvent(db: CommonQueryMethods, e: NewWorkflowEvent) {
  return db.one(sql.type(EventRow)`
    INSERT INTO workflow_events (workflow_id, seq, name, payload_json, dedupe_key)
    SELECT ${e.workflowId}, coalesce(max(seq), 0) + 1, ${e.name}, ${e.payloadJson}::jsonb, ${e.dedupeKey}
    FROM workflow_events WHERE workflow_id = ${e.workflowId}
    RETURNING ${eventColumns}`);
}

/** The `index`-th event (from 0, in arrival order) of one name, if it arrived. */
export async function findEvent(db: CommonQueryMethods, workflowId: string, name: string, index: number) {
  return db.maybeOne(sql.type(EventRow)`
    SELECT ${eventColumns} FROM workflow_events WHERE workflow_id = ${workflowId} AND name = ${name}
    ORDER BY seq OFFSET ${index} LIMIT 1`);
}

/**
 * Makes a PENDING workflow that waits for an event of `name` claimable now when the event it
 * waits for has arrived. The caller holds the row lock, so a release cannot slip in between.
 * @returns true when it woke the workflow
 */
export async function wakeEventWaiter(db: CommonQueryMethods, workflowId: string, name: string): Promise<boolean> {
  // Announced on the workflow channel (runtimes watching its name claim it at once).
  const woken = await db.maybeOne(sql.type(z.object({ id: z.string() }))`
    WITH w AS (
      UPDATE workflows w SET scheduled_at = LEAST(w.scheduled_at, now())
      WHERE w.id = ${workflowId} AND w.status = 'pending' AND w.waiting_for_event = ${name}
        AND ${eventArrived(sql.fragment`w.id`, name, sql.fragment`w.waiting_for_event_index`)}
      RETURNING w.id, w.name
    )
    SELECT w.id, pg_notify(${channels.workflow}, w.name)::text AS notified FROM w`);
  return woken !== null;
}
