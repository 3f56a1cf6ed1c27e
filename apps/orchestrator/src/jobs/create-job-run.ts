import type { Job } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import type { WorkflowRuntime } from '@jobmesh/durable';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { workflowNames } from '../names.ts';
import type { PipelineJobLink } from '../run-job/pipeline-job-steps.ts';
import { currentStepLayout, type RunJobInput } from '../run-job/run-job-workflow.ts';
import { maskText } from '../secrets/create-log-masker.ts';
import type { Submission } from './validate-submission.ts';

/** How a job run is linked: its trace, its sealed secrets, and for a pipeline job its pipeline. */
export interface JobRunLinks {
  /** Secret env sealed for this job's id; their keys are shown with "***". */
  sealed?: { keys: string[]; sealedSecretEnv: string };
  /** W3C traceparent the workflow continues. */
  traceparent: string;
  /** Trace id recorded with the job. */
  traceId: string;
  /** Set for a pipeline's job; its workflow is then a child of the pipeline's. */
  pipeline?: PipelineJobLink & { parentWorkflowId: string };
}

/**
 * Stores a job and starts its run-job workflow, both idempotent by the job's request id: a
 * repeated call changes nothing, and one whose first try died between the job row and the
 * workflow gets its workflow now. Secret values never reach persistence in the clear.
 * @returns the stored job
 */
export async function createJobRun(clients: MeshClients, runtime: WorkflowRuntime, job: Omit<Submission, 'secretEnv'>, links: JobRunLinks): Promise<Job> {
  const masked = Object.fromEntries((links.sealed?.keys ?? []).map((key) => [key, maskText]));
  const { job: stored, created } = await clients.jobs.createJob({
    spec: { ...job, env: { ...job.env, ...masked } },
    workflowId: job.requestId,
    traceId: links.traceId,
    pipelineId: links.pipeline?.pipelineId ?? '',
    pipelineJobKey: links.pipeline?.key ?? '',
  });
  const hasWorkflow = !created && (await clients.workflows.getWorkflow({ id: job.requestId }).then(() => true, (e: unknown) => {
    if (isMeshError(e, status.NOT_FOUND)) return false;
    throw e;
  }));
  if (!hasWorkflow) {
    const deadline = new Date(stored!.createdAt!.getTime() + job.timeoutMs);
    const { parentWorkflowId, ...pipeline } = links.pipeline ?? { parentWorkflowId: undefined };
    const input: RunJobInput = {
      ...job,
      ...(links.sealed && { sealedSecretEnv: links.sealed.sealedSecretEnv }),
      deadline: deadline.toISOString(),
      traceparent: links.traceparent,
      ...(links.pipeline && { pipeline: pipeline as PipelineJobLink }),
      stepLayout: currentStepLayout,
    };
    await runtime.start(workflowNames.runJob, input as never, { id: job.requestId, jobRequestId: job.requestId, deadlineAt: deadline, ...(parentWorkflowId && { parentId: parentWorkflowId }) });
  }
  return stored!;
}
