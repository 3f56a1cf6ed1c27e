import type { CommonQueryMethods } from 'slonik';
import { findEventByDedupeKey, insertWorkflowEvent, wakeEventWaiter, type EventRow, type NewWorkflowEvent } from './workflow-event-queries.ts';
import { lockWorkflow } from './workflow-queries.ts';

const endedStatuses = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);

/** What a raise did: stored the event, found it stored under its dedupe key, or stored nothing. */
export type RaiseOutcome =
  | { kind: 'created' | 'existing'; event: EventRow }
  | { kind: 'not-found' }
  | { kind: 'ended'; status: string };

/**
 * Raises an event inside the caller's transaction. The workflow's row lock comes first, so the
 * workflow's events are numbered in commit order and a concurrent ReleaseWorkflow with a wait
 * either sees this event or is seen by the wake-up below. A dedupe key stored before returns
 * that event, also once the workflow ended (a retry whose answer was lost); otherwise an ended
 * workflow takes no event.
 */
export async function raiseWorkflowEvent(tx: CommonQueryMethods, event: NewWorkflowEvent): Promise<RaiseOutcome> {
  const workflow = await lockWorkflow(tx, event.workflowId);
  if (!workflow) return { kind: 'not-found' };
  const stored = event.dedupeKey === null ? null : await findEventByDedupeKey(tx, event.workflowId, event.dedupeKey);
  if (stored) return { kind: 'existing', event: stored };
  if (endedStatuses.has(workflow.status)) return { kind: 'ended', status: workflow.status };
  const created = await insertWorkflowEvent(tx, event);
  await wakeEventWaiter(tx, event.workflowId, event.name);
  return { kind: 'created', event: created };
}
