import { posix } from 'node:path';
import { OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { sleepUnlessAborted } from '@jobmesh/durable';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { pipelineEventName } from '../names.ts';

/** Where a pipeline job finds the artifacts of the jobs it needs: `<workspace>/.jobmesh/needs/<job key>/`. */
export const needsFolder = '.jobmesh/needs';

/** What a pipeline adds to a run-job workflow's input. */
export interface PipelineJobLink {
  pipelineId: string;
  /** The pipeline attempt's workflow: told when this job ended. */
  workflowId: string;
  /** Key of the pipeline job. */
  key: string;
  /** Nonce of the step markers in the script (renderStepsScript). */
  stepNonce: string;
  /** The run steps by index and name. */
  runSteps: Array<{ index: number; name: string }>;
  /** Jobs whose artifacts this one receives before its first step. */
  needs: Array<{ key: string; jobRequestId: string }>;
  /** Concurrency group; empty = none. */
  concurrency: string;
}

/** How a pipeline job ended, as its pipeline's workflow receives it. */
export interface JobEndedEvent {
  kind: 'job-ended';
  key: string;
  jobRequestId: string;
  state: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  exitCode: number | null;
  error: string;
  [key: string]: string | number | null;
}

/**
 * Waits until the job holds its concurrency group: jobs of a group run one at a time in the order
 * they asked (persistence keeps the queue, so the order survives restarts). Polls every 500 ms.
 */
export async function acquireConcurrencyGroup(clients: MeshClients, group: string, jobRequestId: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    const { held } = await clients.pipelines.acquireConcurrencyGroup({ group, jobRequestId });
    if (held) return;
    await sleepUnlessAborted(500, signal);
    if (signal.aborted) throw signal.reason;
  }
}

/** Leaves the job's concurrency group (holding it or still waiting). */
export async function releaseConcurrencyGroup(clients: MeshClients, group: string, jobRequestId: string): Promise<void> {
  await clients.pipelines.releaseConcurrencyGroup({ group, jobRequestId });
}

/**
 * Copies the artifacts of each needed job into `<workspace>/.jobmesh/needs/<key>/`, through fsops
 * transfers keyed by this job and the need (a replay resumes or returns them). A need that
 * collected no artifacts has no folder.
 * @returns the needs whose artifacts were copied, with their file counts
 */
export async function fetchNeededArtifacts(clients: Pick<MeshClients, 'artifacts' | 'fsops'>, jobRequestId: string, workspacePath: string, needs: PipelineJobLink['needs']): Promise<Record<string, number>> {
  const copied: Record<string, number> = {};
  for (const need of needs) {
    const listed = await clients.artifacts.listArtifacts({ jobRequestId: need.jobRequestId, pageSize: 1, pageToken: '' });
    if (!listed.recorded || !listed.set?.artifactDir || listed.set.fileCount === 0) continue;
    const transfer = clients.fsops.transfer({
      key: `needs:${jobRequestId}:${need.key}`,
      source: listed.set.artifactDir,
      destination: posix.join(workspacePath, needsFolder, need.key),
      // A copy, never a link: the job may change its workspace, the stored artifacts must not change.
      mode: TransferMode.TRANSFER_MODE_COPY,
      overwrite: OverwritePolicy.OVERWRITE_POLICY_REPLACE,
      jobRequestId,
      skipChecksums: false,
    });
    let files = 0;
    for await (const message of transfer) if (message.result) files = message.result.files.length;
    copied[need.key] = files;
  }
  return copied;
}

/** Tells the pipeline's workflow that this job ended (once: the event is keyed by the job). A pipeline that ended meanwhile is fine. */
export async function notifyPipeline(clients: MeshClients, link: PipelineJobLink, event: JobEndedEvent): Promise<void> {
  try {
    await clients.workflows.raiseWorkflowEvent({ workflowId: link.workflowId, name: pipelineEventName, payloadJson: JSON.stringify(event), dedupeKey: `job-ended:${event.jobRequestId}` });
  } catch (error) {
    if (isMeshError(error, status.FAILED_PRECONDITION, 'WORKFLOW_ENDED')) return;
    throw error;
  }
}
