import type { LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import type { LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { ExecResult } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { unavailable } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import type { LogMasker } from '../secrets/create-log-masker.ts';

/** Longest a chunk waits before it is appended, in ms. */
const flushIntervalMs = 50;
/** Most chunks appended in one call. */
const maxChunksPerAppend = 500;

/**
 * Runs the job in its VM through vm-runner's Exec stream and appends the
 * output to the job log as it arrives, batched (a flush at most every 50 ms),
 * so followers see it live. `rejoin` makes the run belong to the VM: when this
 * orchestrator dies mid-run, the replayed step re-joins the same run (same chunks,
 * same seq, same result) instead of running the job a second time, and the chunk
 * sequence numbers from vm-runner make the re-appends no-ops.
 * With a `masker`, secret values are replaced before a chunk leaves this
 * process; what it still holds back at the end goes out in chunks numbered
 * after the last one.
 * @returns how the job's process ended, and the log sequence number after its last chunk
 */
export async function streamExecToLog(clients: Pick<MeshClients, 'logs'> & { vmRunner: ReturnType<MeshClients['vmRunnerAt']> }, requestId: string, vmId: string, timeoutMs: number, signal: AbortSignal, masker?: LogMasker<LogStream>): Promise<ExecResult & { nextSeq: number }> {
  let pending: LogChunk[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (pending.length === 0) return flushing;
    const batch = pending.splice(0, maxChunksPerAppend);
    flushing = flushing.then(() => clients.logs.appendLogChunks({ chunks: batch }).then(() => undefined));
    return flushing;
  };
  const timer = setInterval(() => void flush().catch(() => undefined), flushIntervalMs);
  let result: ExecResult | undefined;
  let lastSeq = -1;
  try {
    for await (const message of clients.vmRunner.exec({ vmId, timeoutMs, killGraceMs: 5000, rejoin: true }, { signal })) {
      if (message.output) {
        const { seq, stream, data } = message.output;
        lastSeq = Math.max(lastSeq, seq);
        pending.push({ requestId, seq, stream, data: masker ? masker.mask(stream, data) : data, createdAt: undefined });
        if (pending.length >= maxChunksPerAppend) await flush();
      } else if (message.result) {
        result = message.result;
      }
    }
  } finally {
    clearInterval(timer);
  }
  for (const rest of masker?.drain() ?? []) pending.push({ requestId, seq: ++lastSeq, stream: rest.stream, data: rest.data, createdAt: undefined });
  while (pending.length) await flush();
  await flushing;
  if (!result) throw unavailable('EXEC_STREAM_ENDED', `vm-runner ended the exec stream of vm ${vmId} without a result`);
  return { ...result, nextSeq: lastSeq + 1 };
}
