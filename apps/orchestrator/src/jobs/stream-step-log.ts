import type { StreamJobLogsResponse } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepKind, JobStepState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { sleepUnlessAborted } from '@jobmesh/durable';
import { failedPrecondition, invalidArgument, notFound } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

const ended = new Set<number>([JobStepState.JOB_STEP_STATE_SUCCEEDED, JobStepState.JOB_STEP_STATE_FAILED, JobStepState.JOB_STEP_STATE_CANCELLED, JobStepState.JOB_STEP_STATE_SKIPPED]);

/** Reads the job's step `index`. */
async function readStep(clients: MeshClients, requestId: string, index: number): Promise<JobStep> {
  const { steps } = await clients.jobs.listJobSteps({ requestId });
  const step = steps.find((s) => s.index === index);
  if (!step) {
    const known = steps.map((s) => `${s.index} (${s.name})`).join(', ');
    throw notFound('STEP_NOT_FOUND', `step: job ${requestId} has no run step ${index}${known ? `; its steps: ${known}` : ' (it is not a pipeline job with steps)'}`, { field: 'step' });
  }
  return step;
}

/** True when (seq, offset) of a byte lies at or after the boundary (boundarySeq, boundaryOffset). */
const atOrAfter = (seq: number, offset: number, boundarySeq: number, boundaryOffset: number) => seq > boundarySeq || (seq === boundarySeq && offset >= boundaryOffset);

/**
 * The part of a job's log between one step's boundaries (recorded as chunk seq + byte offset by
 * the run-job workflow): chunks cut at the boundaries. Without `follow`, what is there now (the
 * whole step once it ended); with `follow`, new output as it comes, until the step ended.
 */
export async function* streamStepLog(clients: MeshClients, requestId: string, index: number, follow: boolean, signal: AbortSignal): AsyncGenerator<StreamJobLogsResponse> {
  if (index < 0) throw invalidArgument('step', 'must be 0 or more');
  let step = await readStep(clients, requestId, index);
  if (step.kind !== JobStepKind.JOB_STEP_KIND_RUN) throw failedPrecondition('NOT_A_RUN_STEP', `step: step ${index} of job ${requestId} is not a run step; it has no log`, { field: 'step' });
  if (step.startedAt === undefined && !follow) return;
  let fromSeq = step.startSeq;
  for (;;) {
    if (step.startedAt !== undefined) {
      const page = await clients.logs.readLog({ requestId, fromSeq, maxChunks: 0, maxBytes: 0 });
      for (const chunk of page.chunks) {
        const data = Buffer.from(chunk.data);
        const begin = chunk.seq === step.startSeq ? Math.min(step.startOffset, data.length) : 0;
        // An end marker always carries the exit code; a step ended by the job's end has no end boundary: the log's end is its end.
        const stepEnded = step.exitCode !== undefined;
        if (stepEnded && atOrAfter(chunk.seq, begin, step.endSeq, step.endOffset)) return;
        const end = stepEnded && chunk.seq === step.endSeq ? Math.min(step.endOffset, data.length) : data.length;
        if (end > begin) yield { offset: chunk.seq, stream: chunk.stream as never, data: data.subarray(begin, end) };
      }
      fromSeq = page.nextSeq;
      if (page.hasMore) continue;
      if (ended.has(step.state)) return;
    }
    if (!follow || signal.aborted) return;
    await sleepUnlessAborted(250, signal);
    step = await readStep(clients, requestId, index);
    if (step.startedAt !== undefined && fromSeq < step.startSeq) fromSeq = step.startSeq;
  }
}
