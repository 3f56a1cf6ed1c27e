import type { LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import type { JobStep } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepKind, JobStepState, LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { ExecResult } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { sleepUnlessAborted } from '@jobmesh/durable';
import { isMeshError, MeshError, status, unavailable } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import type { LogMasker } from '../secrets/create-log-masker.ts';
import type { StepMarker, StepMarkerReader } from '../steps/create-step-marker-reader.ts';

/** Longest a chunk waits before it is appended, in ms. */
const flushIntervalMs = 50;
/** Most chunks appended in one call. */
const maxChunksPerAppend = 500;

/** How appends are retried and how much output may wait for them. */
export interface LogAppendOptions {
  /** Attempts of one batch before the run gives up on the log. @default 12 (about 35 s with the default backoff) */
  attempts?: number;
  /** First wait between attempts, doubled each time, in ms. @default 200 */
  initialBackoffMs?: number;
  /** Longest wait between attempts, in ms. @default 5000 */
  maxBackoffMs?: number;
  /**
   * Output bytes waiting to be appended before the Exec stream is no longer read (vm-runner then
   * holds the job back): with the batch in flight, the orchestrator holds at most about twice
   * this per running job. @default 4 MiB
   */
  maxPendingBytes?: number;
}

/** A job whose script runs steps (renderStepsScript): its markers are cut out of both streams and recorded. */
export interface StepRecording {
  reader: StepMarkerReader<LogStream>;
  /** Names of the run steps by index. */
  names: ReadonlyMap<number, string>;
  /** Records step changes (persistence RecordJobSteps: idempotent, first values kept). */
  record(steps: JobStep[]): Promise<void>;
}

/** A step change that sets nothing yet: merged with what markers add. */
function emptyStepChange(index: number, name: string): JobStep {
  return {
    index, name, kind: JobStepKind.JOB_STEP_KIND_RUN, state: JobStepState.JOB_STEP_STATE_UNSPECIFIED, exitCode: undefined, startedAt: undefined, finishedAt: undefined,
    startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0, errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0,
    hasStart: false, hasEnd: false, hasErrStart: false, hasErrEnd: false, approvedBy: '', prompt: '',
  };
}

/** Adds what a marker at `seq` of one stream says to the step's change. */
function applyMarker(change: JobStep, { marker, seq, isStdout }: PendingMarker): JobStep {
  const at = new Date();
  if (marker.kind === 'start') {
    const state = change.state === JobStepState.JOB_STEP_STATE_UNSPECIFIED ? JobStepState.JOB_STEP_STATE_RUNNING : change.state;
    return isStdout
      ? { ...change, state, startedAt: change.startedAt ?? at, hasStart: true, startSeq: seq, startOffset: marker.offset }
      : { ...change, state, startedAt: change.startedAt ?? at, hasErrStart: true, errStartSeq: seq, errStartOffset: marker.offset };
  }
  const state = marker.exitCode === 0 ? JobStepState.JOB_STEP_STATE_SUCCEEDED : JobStepState.JOB_STEP_STATE_FAILED;
  return isStdout
    ? { ...change, state, exitCode: marker.exitCode, finishedAt: change.finishedAt ?? at, hasEnd: true, endSeq: seq, endOffset: marker.offset }
    : { ...change, state, exitCode: marker.exitCode, finishedAt: change.finishedAt ?? at, hasErrEnd: true, errEndSeq: seq, errEndOffset: marker.offset };
}

/** A marker waiting for the chunks before it to be appended. */
interface PendingMarker {
  marker: StepMarker;
  seq: number;
  isStdout: boolean;
}

/** One change per step: the markers of a batch, of both streams, merged. */
function mergeStepChanges(markers: PendingMarker[], names: ReadonlyMap<number, string>): JobStep[] {
  const byIndex = new Map<number, JobStep>();
  for (const pending of markers) {
    const index = pending.marker.index;
    byIndex.set(index, applyMarker(byIndex.get(index) ?? emptyStepChange(index, names.get(index) ?? `step ${index}`), pending));
  }
  return [...byIndex.values()];
}

/** Refusals a retry cannot change: the batch is reported at once. */
const lasting = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.PERMISSION_DENIED, status.FAILED_PRECONDITION, status.OUT_OF_RANGE, status.UNAUTHENTICATED]);

/**
 * Runs the job in its VM through vm-runner's Exec stream and appends the
 * output to the job log as it arrives, batched (a flush at most every 50 ms),
 * so followers see it live. `rejoin` makes the run belong to the VM: when this
 * orchestrator dies mid-run, the replayed step re-joins the same run (same chunks,
 * same seq, same result) instead of running the job a second time, and the chunk
 * sequence numbers from vm-runner make the re-appends no-ops.
 * A failed append is retried (appends are idempotent by seq) in order: no later batch is
 * appended before it, so the log never has a gap. If it still fails, the stream stops and this
 * throws LOG_WRITE_FAILED (the cause's code): the step's retry re-joins the run and appends it
 * all again, and if that fails too the job ends saying its log could not be written.
 * With a `masker`, secret values are replaced before a chunk leaves this
 * process; what it still holds back at the end goes out in chunks numbered
 * after the last one. With `steps`, step markers are cut out of stdout first and each boundary
 * (chunk seq + byte offset; with a masker the offset counts the unmasked bytes) is recorded after
 * the chunks before it were appended; a replay records the same boundaries again (no-ops).
 * @returns how the job's process ended, and the log sequence number after its last chunk
 * @throws MeshError LOG_WRITE_FAILED when the log could not be written; EXEC_STREAM_ENDED when vm-runner sent no result
 */
export async function streamExecToLog(clients: Pick<MeshClients, 'logs'> & { vmRunner: ReturnType<MeshClients['vmRunnerAt']> }, requestId: string, vmId: string, timeoutMs: number, signal: AbortSignal, masker?: LogMasker<LogStream>, appendOptions: LogAppendOptions = {}, steps?: StepRecording): Promise<ExecResult & { nextSeq: number }> {
  const attempts = appendOptions.attempts ?? 12;
  const initialBackoffMs = appendOptions.initialBackoffMs ?? 200;
  const maxBackoffMs = appendOptions.maxBackoffMs ?? 5000;
  const maxPendingBytes = appendOptions.maxPendingBytes ?? 4 * 1024 * 1024;
  let pending: LogChunk[] = [];
  let pendingBytes = 0;
  // Step markers wait for the chunks before them: recorded after those were appended.
  let pendingSteps: PendingMarker[] = [];
  let flushing: Promise<void> = Promise.resolve();
  // Once set, nothing more is appended: a later batch must not land after a gap.
  let failure: MeshError | undefined;
  const leave = new AbortController();

  const appendWithRetry = async (batch: LogChunk[], stepChanges: JobStep[] = []) => {
    for (let attempt = 1; ; attempt++) {
      try {
        if (batch.length) await clients.logs.appendLogChunks({ chunks: batch });
        batch = [];
        if (stepChanges.length) await steps!.record(stepChanges);
        return;
      } catch (error) {
        const code = isMeshError(error) ? error.code : status.UNKNOWN;
        if (lasting.has(code) || attempt >= attempts || signal.aborted) {
          const message = error instanceof Error ? error.message : String(error);
          const what = batch.length ? `the log of job ${requestId} could not be written from seq ${batch[0]!.seq}` : `the steps of job ${requestId} could not be recorded`;
          throw new MeshError(code, 'LOG_WRITE_FAILED', `${what} after ${attempt} attempt(s): ${message}`, { cause: error });
        }
        await sleepUnlessAborted(Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1)), signal);
      }
    }
  };
  /** Queues the pending chunks behind the batches before them; resolves once all are appended. */
  const flush = () => {
    if ((pending.length === 0 && pendingSteps.length === 0) || failure) return flushing;
    const batch = pending.splice(0, maxChunksPerAppend);
    pendingBytes -= batch.reduce((sum, chunk) => sum + chunk.data.length, 0);
    // The step changes whose chunks are in this batch or before it.
    const upTo = pending.length ? pending[0]!.seq : Number.POSITIVE_INFINITY;
    const stepChanges = steps ? mergeStepChanges(pendingSteps.filter((s) => s.seq < upTo), steps.names) : [];
    pendingSteps = pendingSteps.filter((s) => s.seq >= upTo);
    flushing = flushing.then(() => (failure ? undefined : appendWithRetry(batch, stepChanges).catch((error: MeshError) => {
      failure ??= error;
      leave.abort(error); // also while the job is quiet: the step fails now, not at the job's end
    })));
    return flushing;
  };
  const timer = setInterval(() => void flush(), flushIntervalMs);
  let result: ExecResult | undefined;
  let lastSeq = -1;
  try {
    for await (const message of clients.vmRunner.exec({ vmId, timeoutMs, killGraceMs: 5000, rejoin: true }, { signal: AbortSignal.any([signal, leave.signal]) })) {
      if (failure) throw failure; // leaves the stream: with rejoin the job goes on, and a retry re-joins it
      if (message.output) {
        const { seq, stream } = message.output;
        let data: Uint8Array = message.output.data;
        lastSeq = Math.max(lastSeq, seq);
        if (steps) {
          const read = steps.reader.read(stream, data);
          data = read.data;
          for (const marker of read.markers) pendingSteps.push({ marker, seq, isStdout: stream === LogStream.LOG_STREAM_STDOUT });
        }
        const masked = masker ? masker.mask(stream, data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        pending.push({ requestId, seq, stream, data: masked, createdAt: undefined });
        pendingBytes += masked.length;
        // Not read further until the log caught up: vm-runner then holds the job's output back.
        while (!failure && (pendingBytes >= maxPendingBytes || pending.length >= maxChunksPerAppend)) await flush();
      } else if (message.result) {
        result = message.result;
      }
    }
  } catch (error) {
    throw failure ?? error;
  } finally {
    clearInterval(timer);
  }
  for (const rest of steps?.reader.drain() ?? []) {
    const data = masker ? masker.mask(rest.stream, rest.data) : rest.data;
    pending.push({ requestId, seq: ++lastSeq, stream: rest.stream, data, createdAt: undefined });
  }
  for (const rest of masker?.drain() ?? []) pending.push({ requestId, seq: ++lastSeq, stream: rest.stream, data: rest.data, createdAt: undefined });
  while ((pending.length || pendingSteps.length) && !failure) await flush();
  await flushing;
  if (failure) throw failure;
  if (!result) throw unavailable('EXEC_STREAM_ENDED', `vm-runner ended the exec stream of vm ${vmId} without a result`);
  return { ...result, nextSeq: lastSeq + 1 };
}
