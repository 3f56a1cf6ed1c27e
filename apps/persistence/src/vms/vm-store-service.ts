import { VmStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { defineService, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { DatabasePool } from 'slonik';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { vmBackends, vmStates } from '../validation/enum-codecs.ts';
import { optionalDate, optionalUuid, pageSize, requireStringMap, requireText, requireUuid } from '../validation/fields.ts';
import { decodePageToken, pageOf } from '../validation/page-token.ts';
import { findVm, listVmEvents, listVms, recordVmEvents, toProtoVm, toProtoVmEvent, type NewVmEvent } from './vm-queries.ts';

/** Most events in one RecordVmEvents call. */
export const maxVmEventsPerCall = 1000;

/** jobmesh.persistence.v1.VmStoreService over a slonik pool. */
export function createVmStoreService(pool: DatabasePool) {
  return defineService('jobmesh.persistence.v1.VmStoreService', VmStoreServiceService, withDatabaseErrors({
    async recordVmEvents(request) {
      if (request.events.length === 0) throw invalidArgument('events', 'must hold at least one event');
      if (request.events.length > maxVmEventsPerCall) throw invalidArgument('events', `must hold at most ${maxVmEventsPerCall} events`);
      const ids = new Set<string>();
      const events: NewVmEvent[] = request.events.map((e, i) => {
        const field = (name: string) => `events[${i}].${name}`;
        const eventId = requireUuid(field('event_id'), e.eventId);
        if (ids.has(eventId)) throw invalidArgument(field('event_id'), 'repeats an event id within the batch');
        ids.add(eventId);
        return {
          eventId,
          requestId: requireUuid(field('request_id'), e.requestId),
          jobRequestId: optionalUuid(field('job_request_id'), e.jobRequestId),
          domainName: requireText(field('domain_name'), e.domainName, { min: 0, max: 256 }),
          overlayPath: requireText(field('overlay_path'), e.overlayPath, { min: 0, max: 4096 }),
          seedPath: requireText(field('seed_path'), e.seedPath, { min: 0, max: 4096 }),
          backend: vmBackends.toDb(field('backend'), e.backend),
          state: vmStates.toDb(field('state'), e.state),
          message: requireText(field('message'), e.message, { min: 0, max: 8192 }),
          host: requireText(field('host'), e.host, { min: 0, max: 256 }),
          details: requireStringMap(field('details'), e.details, 64, 4096),
          occurredAt: optionalDate(field('occurred_at'), e.occurredAt) ?? new Date(),
        };
      });
      const recorded = await pool.transaction((tx) => recordVmEvents(tx, events));
      return { recorded, duplicates: events.length - recorded };
    },

    async getVm(request) {
      const requestId = requireUuid('request_id', request.requestId);
      const row = await findVm(pool, requestId);
      if (!row) throw notFound('VM_NOT_FOUND', `vm ${requestId} does not exist`);
      return { vm: toProtoVm(row) };
    },

    async listVms(request) {
      const limit = pageSize('page_size', request.pageSize, 50, 500);
      const rows = await listVms(pool, {
        states: request.states.map((s, i) => vmStates.toDb(`states[${i}]`, s)),
        jobRequestId: optionalUuid('job_request_id', request.jobRequestId),
        host: requireText('host', request.host, { min: 0, max: 256 }),
        limit,
        after: decodePageToken('page_token', request.pageToken),
      });
      const page = pageOf(rows, limit, (row) => ({ at: row.cursor_at, id: row.request_id }));
      return { vms: page.items.map(toProtoVm), nextPageToken: page.nextPageToken };
    },

    async listVmEvents(request) {
      const requestId = requireUuid('request_id', request.requestId);
      if (!(await findVm(pool, requestId))) throw notFound('VM_NOT_FOUND', `vm ${requestId} does not exist`);
      return { events: (await listVmEvents(pool, requestId)).map(toProtoVmEvent) };
    },
  }));
}
