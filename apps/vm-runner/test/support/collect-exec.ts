import type { ExecOutput, ExecResponse, ExecResult } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { readFileSync } from 'node:fs';

/** An Exec stream read to its end. */
export interface CollectedExec {
  outputs: ExecOutput[];
  result: ExecResult | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Reads an Exec stream to its end, calling `onOutput` for each chunk as it arrives
 * (tests use it to act while the job still runs).
 */
export async function collectExec(stream: AsyncIterable<ExecResponse>, onOutput?: (output: ExecOutput, text: string) => void | Promise<void>): Promise<CollectedExec> {
  const outputs: ExecOutput[] = [];
  let result: ExecResult | undefined;
  for await (const message of stream) {
    if (message.output) {
      outputs.push(message.output);
      await onOutput?.(message.output, Buffer.from(message.output.data).toString());
    }
    if (message.result) result = message.result;
  }
  const text = (stream: LogStream) => Buffer.concat(outputs.filter((o) => o.stream === stream).map((o) => Buffer.from(o.data))).toString();
  return { outputs, result, stdout: text(LogStream.LOG_STREAM_STDOUT), stderr: text(LogStream.LOG_STREAM_STDERR) };
}

/** Polls `check` until it is true or `timeoutMs` passed. @returns the last answer */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** True when a process with this pid exists (and is not a zombie). */
export function isProcessAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
