import type { PrunedKind, PruneHistoryResponse } from '@jobmesh/contracts/jobmesh/orchestrator/v1/admin.ts';
import type { PruneCounts } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import type { RetentionCutoffs } from './retention-cutoffs.ts';

/** Calls of persistence's PruneHistory in one run at most (each deletes ≤ 20 batches of 500 per table). */
const maxCalls = 1000;
/** A dry run lists this many pruned artifact manifests to measure their folders. */
const dryRunArtifactSample = 10_000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Applies retention once: persistence prunes (or counts) rows past the cutoffs until nothing is
 * left, fsops removes the artifact folders of the manifests pruned, then the git mirrors unused
 * since the mirrors cutoff. An fsops failure leaves its files in place and becomes a warning.
 * @returns every kind's count in a fixed order, as AdminService/PruneHistory answers
 */
export async function runRetention(clients: MeshClients, cutoffs: RetentionCutoffs, dryRun: boolean): Promise<PruneHistoryResponse> {
  const counts: PruneCounts = { jobs: 0, jobEvents: 0, logChunks: 0, logBytes: 0, workflows: 0, workflowSteps: 0, vms: 0, vmEvents: 0, fsJobs: 0, artifactSets: 0, artifactFiles: 0 };
  const folders = { count: 0, bytes: 0 };
  const mirrors = { count: 0, bytes: 0 };
  const warnings: string[] = [];
  const mirrorsCutoff = cutoffs.mirrors;
  const rowCutoffs = {
    jobs: cutoffs.jobs ?? undefined, logs: cutoffs.logs ?? undefined, artifacts: cutoffs.artifacts ?? undefined,
    vms: cutoffs.vms ?? undefined, fsJobs: cutoffs.fsJobs ?? undefined,
  };
  const request = { cutoffs: rowCutoffs, dryRun, batchSize: dryRun ? dryRunArtifactSample : 0, maxBatches: 0 };
  for (let call = 0; call < maxCalls; call++) {
    const answer = await clients.retention.pruneHistory(request);
    for (const key of Object.keys(counts) as (keyof PruneCounts)[]) counts[key] += answer.counts?.[key] ?? 0;
    if (answer.prunedArtifacts.length) {
      try {
        const removed = await clients.fsops.pruneArtifacts({ jobRequestIds: answer.prunedArtifacts.map((s) => s.jobRequestId), dryRun });
        folders.count += removed.folders;
        folders.bytes += removed.bytes;
      } catch (error) {
        warnings.push(`artifact folders of ${answer.prunedArtifacts.length} jobs not removed: ${messageOf(error)}`);
      }
    }
    if (!answer.more) break;
    if (call === maxCalls - 1) warnings.push(`stopped after ${maxCalls} persistence calls: more is left for the next run`);
  }
  // Each VM host keeps its own mirrors (the artifact root is shared by all of them).
  for (const [address, fsops] of mirrorsCutoff ? clients.fsopsHosts : []) {
    try {
      const removed = await fsops.pruneMirrors({ olderThan: mirrorsCutoff!, dryRun });
      mirrors.count += removed.mirrors;
      mirrors.bytes += removed.bytes;
    } catch (error) {
      warnings.push(`git mirrors of fsops ${address} not pruned: ${messageOf(error)}`);
    }
  }
  const kind = (name: string, count: number, cutoff: Date | null, bytes = 0): PrunedKind => ({ kind: name, count, bytes, cutoff: cutoff ?? undefined });
  const later = (a: Date | null, b: Date | null) => (a === null ? b : b === null ? a : a > b ? a : b);
  return {
    dryRun,
    kinds: [
      kind('jobs', counts.jobs, cutoffs.jobs),
      kind('job_events', counts.jobEvents, cutoffs.jobs),
      kind('log_chunks', counts.logChunks, later(cutoffs.logs, cutoffs.jobs), counts.logBytes),
      kind('workflows', counts.workflows, cutoffs.jobs),
      kind('workflow_steps', counts.workflowSteps, cutoffs.jobs),
      kind('vms', counts.vms, cutoffs.vms),
      kind('vm_events', counts.vmEvents, cutoffs.vms),
      kind('fs_jobs', counts.fsJobs, cutoffs.fsJobs),
      kind('artifact_sets', counts.artifactSets, later(cutoffs.artifacts, cutoffs.jobs)),
      kind('artifact_files', counts.artifactFiles, later(cutoffs.artifacts, cutoffs.jobs)),
      kind('artifact_folders', folders.count, later(cutoffs.artifacts, cutoffs.jobs), folders.bytes),
      kind('mirrors', mirrors.count, mirrorsCutoff, mirrors.bytes),
    ],
    warnings,
  };
}
