import type { Vm, VmEvent } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { vmBackends, vmStates } from '../validation/enum-codecs.ts';
import type { PageCursor } from '../validation/page-token.ts';

/** A validated VM event to record. */
export interface NewVmEvent {
  eventId: string;
  requestId: string;
  jobRequestId: string | null;
  domainName: string;
  overlayPath: string;
  seedPath: string;
  backend: string;
  state: string;
  message: string;
  host: string;
  details: Record<string, string>;
  occurredAt: Date;
}

/** Fields a VM row and a VM event share. */
const vmFields = {
  request_id: z.string(),
  job_request_id: z.string().nullable(),
  domain_name: z.string(),
  overlay_path: z.string(),
  seed_path: z.string(),
  backend: z.string(),
  state: z.string(),
  host: z.string(),
};

const VmRow = z.object({
  ...vmFields,
  last_event_at: z.date(),
  created_at: z.date(),
  updated_at: z.date(),
  cursor_at: z.string(),
});
type VmRow = z.infer<typeof VmRow>;
const vmColumns = sql.fragment`request_id, job_request_id, domain_name, overlay_path, seed_path, backend, state, host,
  last_event_at, created_at, updated_at, created_at::text AS cursor_at`;

const VmEventRow = z.object({
  ...vmFields,
  sequence: z.number(),
  event_id: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.string()),
  occurred_at: z.date(),
});
type VmEventRow = z.infer<typeof VmEventRow>;

/** The proto Vm of a row. */
export function toProtoVm(row: VmRow): Vm {
  return {
    requestId: row.request_id,
    jobRequestId: row.job_request_id ?? '',
    domainName: row.domain_name,
    overlayPath: row.overlay_path,
    seedPath: row.seed_path,
    backend: vmBackends.fromDb(row.backend),
    state: vmStates.fromDb(row.state),
    host: row.host,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastEventAt: row.last_event_at,
  };
}

/** The proto VmEvent of a row. */
export function toProtoVmEvent(row: VmEventRow): VmEvent {
  return {
    eventId: row.event_id,
    requestId: row.request_id,
    jobRequestId: row.job_request_id ?? '',
    domainName: row.domain_name,
    overlayPath: row.overlay_path,
    seedPath: row.seed_path,
    backend: vmBackends.fromDb(row.backend),
    state: vmStates.fromDb(row.state),
    message: row.message,
    host: row.host,
    details: row.details,
    occurredAt: row.occurred_at,
    sequence: row.sequence,
  };
}

const eventTuples = (events: NewVmEvent[]) =>
  sql.unnest(
    events.map((e) => [e.eventId, e.requestId, e.jobRequestId, e.domainName, e.overlayPath, e.seedPath, e.backend, e.state,
      e.message, e.host, JSON.stringify(e.details), e.occurredAt.toISOString()]),
    ['uuid', 'uuid', 'uuid', 'text', 'text', 'text', 'vm_backend', 'vm_state', 'text', 'text', 'jsonb', 'timestamptz'],
  );

/**
 * Records a batch: the VM rows first (the newest event of each VM decides its
 * state, and an older event arriving late from a retry buffer never rolls a VM
 * back; empty paths keep what is known), then the events, skipping event ids seen before.
 * @returns how many events were new
 */
export async function recordVmEvents(db: CommonQueryMethods, events: NewVmEvent[]): Promise<number> {
  // One row per VM of the batch: its newest event's state, and the newest non-empty value of each path.
  const latest = (column: string) =>
    sql.fragment`(array_agg(${sql.identifier([column])} ORDER BY occurred_at DESC) FILTER (WHERE ${sql.identifier([column])} <> ''))[1]`;
  await db.query(sql.unsafe`
    INSERT INTO vms (request_id, job_request_id, domain_name, overlay_path, seed_path, backend, state, host, last_event_at)
    SELECT request_id,
      (array_agg(job_request_id ORDER BY occurred_at DESC) FILTER (WHERE job_request_id IS NOT NULL))[1],
      COALESCE(${latest('domain_name')}, ''), COALESCE(${latest('overlay_path')}, ''), COALESCE(${latest('seed_path')}, ''),
      (array_agg(backend ORDER BY occurred_at DESC))[1], (array_agg(state ORDER BY occurred_at DESC))[1],
      COALESCE(${latest('host')}, ''), max(occurred_at)
    FROM ${eventTuples(events)} AS e(event_id, request_id, job_request_id, domain_name, overlay_path, seed_path, backend, state,
      message, host, details, occurred_at)
    GROUP BY request_id
    ON CONFLICT (request_id) DO UPDATE SET
      job_request_id = COALESCE(EXCLUDED.job_request_id, vms.job_request_id),
      domain_name = COALESCE(NULLIF(EXCLUDED.domain_name, ''), vms.domain_name),
      overlay_path = COALESCE(NULLIF(EXCLUDED.overlay_path, ''), vms.overlay_path),
      seed_path = COALESCE(NULLIF(EXCLUDED.seed_path, ''), vms.seed_path),
      host = COALESCE(NULLIF(EXCLUDED.host, ''), vms.host),
      backend = EXCLUDED.backend,
      state = CASE WHEN EXCLUDED.last_event_at >= vms.last_event_at THEN EXCLUDED.state ELSE vms.state END,
      last_event_at = GREATEST(EXCLUDED.last_event_at, vms.last_event_at)`);
  const row = await db.one(sql.type(z.object({ recorded: z.number() }))`
    WITH ins AS (
      INSERT INTO vm_events (event_id, request_id, job_request_id, domain_name, overlay_path, seed_path, backend, state,
        message, host, details, occurred_at)
      SELECT * FROM ${eventTuples(events)}
      ON CONFLICT (event_id) DO NOTHING RETURNING 1
    )
    SELECT count(*)::int8 AS recorded FROM ins`);
  return row.recorded;
}

/** Reads one VM. */
export async function findVm(db: CommonQueryMethods, requestId: string) {
  return db.maybeOne(sql.type(VmRow)`SELECT ${vmColumns} FROM vms WHERE request_id = ${requestId}`);
}

/** Filters of listVms. */
export interface VmFilter {
  states: string[];
  jobRequestId: string | null;
  host: string;
  limit: number;
  after: PageCursor | null;
}

/** Lists VMs newest first, limit + 1 rows. */
export async function listVms(db: CommonQueryMethods, f: VmFilter) {
  const conditions = [sql.fragment`TRUE`];
  if (f.states.length) conditions.push(sql.fragment`state = ANY(${sql.array(f.states, 'text')}::vm_state[])`);
  if (f.jobRequestId) conditions.push(sql.fragment`job_request_id = ${f.jobRequestId}`);
  if (f.host) conditions.push(sql.fragment`host = ${f.host}`);
  if (f.after) conditions.push(sql.fragment`(created_at, request_id) < (${f.after.at}::timestamptz, ${f.after.id}::uuid)`);
  return db.any(sql.type(VmRow)`
    SELECT ${vmColumns} FROM vms WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY created_at DESC, request_id DESC LIMIT ${f.limit + 1}`);
}

/** Lists a VM's events in the order they occurred. */
export async function listVmEvents(db: CommonQueryMethods, requestId: string) {
  return db.any(sql.type(VmEventRow)`
    SELECT sequence, event_id, request_id, job_request_id, domain_name, overlay_path, seed_path, backend, state, message,
      host, details, occurred_at
    FROM vm_events WHERE request_id = ${requestId} ORDER BY occurred_at, sequence LIMIT 10000`);
}
