import type { LogChunk } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import type { ExecResult } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { unavailable } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** Longest a chunk waits before it is appended, in ms. */
const flushIntervalMs = 50;
/** Most chunks appended in one call. */
const maxChunksPerAppend = 500;

/**
 * Runs the job in its VM through vm-runner's Exec stream and appends the
 * output to the job log as it arrives, batched (a flush at most every 50 ms),
 * so followers see it live. Chunk sequence numbers come from vm-runner, so a
 * re-run after a crash appends nothing twice.
 * @returns how the job's process ended
 */
export async function streamExecToLog(clients: MeshClients, requestId: string, vmId: string, timeoutMs: number, signal: AbortSignal): Promise<ExecResult> {
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
  try {
    for await (const message of clients.vmRunner.exec({ vmId, timeoutMs, killGraceMs: 5000 }, { signal })) {
      if (message.output) {
        pending.push({ requestId, seq: message.output.seq, stream: message.output.stream, data: message.output.data, createdAt: undefined });
        if (pending.length >= maxChunksPerAppend) await flush();
      } else if (message.result) {
        result = message.result;
      }
    }
  } finally {
    clearInterval(timer);
  }
  while (pending.length) await flush();
  await flushing;
  if (!result) throw unavailable('EXEC_STREAM_ENDED', `vm-runner ended the exec stream of vm ${vmId} without a result`);
  return result;
}
