import { AdminServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/admin.ts';
import { defineService, invalidArgument } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { retentionCutoffs, type RetentionDays } from '../retention/retention-cutoffs.ts';
import { runRetention } from '../retention/run-retention.ts';

/** An older_than may lie this far ahead of the orchestrator's clock (clock skew). */
const clockSkewMs = 60_000;

/** jobmesh.orchestrator.v1.AdminService: operator tasks (admin token role; see auth/token-roles.ts). */
export function createAdminService(clients: MeshClients, retentionDays: RetentionDays) {
  return defineService('jobmesh.orchestrator.v1.AdminService', AdminServiceService, {
    async pruneHistory(request) {
      const olderThan = request.olderThan;
      if (olderThan && (Number.isNaN(olderThan.getTime()) || olderThan.getTime() > Date.now() + clockSkewMs)) {
        throw invalidArgument('older_than', 'must not lie in the future');
      }
      return runRetention(clients, retentionCutoffs(retentionDays, Date.now(), olderThan), request.dryRun);
    },
  });
}
