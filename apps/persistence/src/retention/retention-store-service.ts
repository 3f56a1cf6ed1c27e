import type { PruneCounts, PrunedArtifactSet, RetentionCutoffs } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { RetentionStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { defineService, invalidArgument } from '@jobmesh/grpc-kit';
import type { DatabasePool } from 'slonik';
import { withDatabaseErrors } from '../db/with-database-errors.ts';
import { pageSize } from '../validation/fields.ts';
import { prunableTables, type EffectiveCutoffs } from './retention-queries.ts';

/** A cutoff may lie this far ahead of persistence's clock (clock skew between hosts). */
const clockSkewMs = 60_000;

const emptyCounts = (): PruneCounts => ({
  jobs: 0, jobEvents: 0, logChunks: 0, logBytes: 0, workflows: 0, workflowSteps: 0,
  vms: 0, vmEvents: 0, fsJobs: 0, artifactSets: 0, artifactFiles: 0,
});

/** The request's cutoffs; unset ones keep their kind. @throws INVALID_ARGUMENT naming a cutoff in the future */
function toCutoffs(cutoffs: RetentionCutoffs | undefined, now: number): EffectiveCutoffs {
  const check = (field: string, value: Date | undefined) => {
    if (value === undefined) return null;
    if (Number.isNaN(value.getTime()) || value.getTime() > now + clockSkewMs) throw invalidArgument(`cutoffs.${field}`, 'must not lie in the future');
    return value;
  };
  return {
    jobs: check('jobs', cutoffs?.jobs),
    logs: check('logs', cutoffs?.logs),
    artifacts: check('artifacts', cutoffs?.artifacts),
    vms: check('vms', cutoffs?.vms),
    fsJobs: check('fs_jobs', cutoffs?.fsJobs),
  };
}

/**
 * jobmesh.persistence.v1.RetentionStoreService: deletes history past its cutoffs table by
 * table (children first), in batches that skip locked rows, or counts what would go.
 */
export function createRetentionStoreService(pool: DatabasePool) {
  return defineService('jobmesh.persistence.v1.RetentionStoreService', RetentionStoreServiceService, withDatabaseErrors({
    async pruneHistory(request) {
      const cutoffs = toCutoffs(request.cutoffs, Date.now());
      const batchSize = pageSize('batch_size', request.batchSize, 500, 10_000);
      const maxBatches = pageSize('max_batches', request.maxBatches, 20, 1000);
      const counts = emptyCounts();
      const prunedArtifacts: PrunedArtifactSet[] = [];
      let more = false;
      for (const table of prunableTables) {
        const cutoff = table.cutoff(cutoffs);
        if (cutoff === null) continue;
        if (request.dryRun) {
          const counted = await table.count(pool, cutoff);
          if (table.counter) counts[table.counter] += counted.n;
          if (table.counter === 'logChunks') counts.logBytes += counted.bytes;
          for (const set of counted.sets?.slice(0, batchSize) ?? []) prunedArtifacts.push({ jobRequestId: set.job_request_id, artifactDir: set.artifact_dir });
          continue;
        }
        for (let batch = 0; ; batch++) {
          if (batch === maxBatches) {
            more = true;
            break;
          }
          // Each batch is its own short statement: locks last only as long as one DELETE of batchSize rows.
          const deleted = await table.deleteBatch(pool, cutoff, batchSize);
          if (table.counter) counts[table.counter] += deleted.n;
          if (table.counter === 'logChunks') counts.logBytes += deleted.bytes;
          for (const set of deleted.sets ?? []) prunedArtifacts.push({ jobRequestId: set.job_request_id, artifactDir: set.artifact_dir });
          if (deleted.n < batchSize) break;
        }
      }
      return { counts, prunedArtifacts, more };
    },
  }));
}
