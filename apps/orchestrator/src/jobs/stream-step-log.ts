import type { StreamJobLogsResponse } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepKind, JobStepState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
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

/** A position in the log: a chunk and a byte offset in it. */
type Position = { seq: number; offset: number } | undefined;

/** One stream's boundaries of a step (recorded from that stream's own markers). */
function boundsOf(step: JobStep, stream: number): { start: Position; end: Position } {
  return stream === LogStream.LOG_STREAM_STDERR
    ? { start: step.hasErrStart ? { seq: step.errStartSeq, offset: step.errStartOffset } : undefined, end: step.hasErrEnd ? { seq: step.errEndSeq, offset: step.errEndOffset } : undefined }
    : { start: step.hasStart ? { seq: step.startSeq, offset: step.startOffset } : undefined, end: step.hasEnd ? { seq: step.endSeq, offset: step.endOffset } : undefined };
}

/** The first chunk that may hold the step's output. */
export function firstSeqOf(step: JobStep): number | undefined {
  const starts = [step.hasStart ? step.startSeq : undefined, step.hasErrStart ? step.errStartSeq : undefined].filter((s): s is number => s !== undefined);
  return starts.length ? Math.min(...starts) : undefined;
}

/** The part of one chunk between its stream's boundaries of the step: [begin, end), or undefined when none of it is. */
function cut(step: JobStep, chunk: { seq: number; stream: number; data: Uint8Array }): [number, number] | undefined {
  const { start, end } = boundsOf(step, chunk.stream);
  if (!start || chunk.seq < start.seq) return undefined;
  if (end && chunk.seq > end.seq) return undefined;
  const begin = chunk.seq === start.seq ? Math.min(start.offset, chunk.data.length) : 0;
  const stop = end && chunk.seq === end.seq ? Math.min(end.offset, chunk.data.length) : chunk.data.length;
  return stop > begin ? [begin, stop] : undefined;
}

/** True once every stream's end of the step lies before `seq` (nothing later belongs to it). */
function passedEnd(step: JobStep, seq: number): boolean {
  if (!step.hasEnd || !step.hasErrEnd) return false;
  return seq > Math.max(step.endSeq, step.errEndSeq);
}

/**
 * The part of a job's log between one step's boundaries, stdout and stderr each cut at the
 * boundaries its own markers recorded (the two streams are read apart, so their chunks interleave
 * in an order neither controls). Without `follow`, what is there now (the whole step once it
 * ended); with `follow`, new output as it comes, until the step ended. A step the job's end closed
 * without its end markers runs to the end of the log. Chunks before `fromOffset` are left out.
 */
export async function* streamStepLog(clients: MeshClients, requestId: string, index: number, follow: boolean, signal: AbortSignal, fromOffset = 0): AsyncGenerator<StreamJobLogsResponse> {
  if (index < 0) throw invalidArgument('step', 'must be 0 or more');
  let step = await readStep(clients, requestId, index);
  if (step.kind !== JobStepKind.JOB_STEP_KIND_RUN) throw failedPrecondition('NOT_A_RUN_STEP', `step: step ${index} of job ${requestId} is not a run step; it has no log`, { field: 'step' });
  // from_offset resumes a step's stream: no chunk before it is sent again.
  const startAt = (first: number | undefined) => (first === undefined ? undefined : Math.max(first, fromOffset));
  let fromSeq = startAt(firstSeqOf(step));
  for (;;) {
    if (fromSeq !== undefined) {
      const page = await clients.logs.readLog({ requestId, fromSeq, maxChunks: 0, maxBytes: 0 });
      for (const chunk of page.chunks) {
        if (passedEnd(step, chunk.seq)) return;
        const part = cut(step, chunk);
        if (part) yield { offset: chunk.seq, stream: chunk.stream as never, data: Buffer.from(chunk.data).subarray(...part) };
      }
      fromSeq = page.nextSeq;
      if (page.hasMore) continue;
      if (ended.has(step.state)) return;
    }
    if (!follow || signal.aborted) return;
    await sleepUnlessAborted(250, signal);
    step = await readStep(clients, requestId, index);
    fromSeq ??= startAt(firstSeqOf(step));
  }
}
