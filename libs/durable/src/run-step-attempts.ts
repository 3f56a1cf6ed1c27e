import { deadlineExceeded, MeshError } from '@jobmesh/grpc-kit';
import { backoffMs, mayRetry } from './retry-policy.ts';
import { sleepUnlessAborted } from './sleep-unless-aborted.ts';
import type { StepOptions, StepRun } from './workflow-context.ts';

/** The outcome of a step after its attempts. */
export type StepOutcome<T> = { ok: true; value: T; attempts: number } | { ok: false; error: unknown; attempts: number };


/**
 * Runs a step function with its retry policy and per-attempt timeout. Each
 * attempt gets a signal that aborts on `outer` (cancellation, lease loss) or
 * on its own timeout. Retries stop when `outer` aborts.
 */
export async function runStepAttempts<T>(key: string, fn: (run: StepRun) => Promise<T>, options: StepOptions, outer: AbortSignal): Promise<StepOutcome<T>> {
  const policy = options.retry ?? {};
  for (let attempt = 1; ; attempt++) {
    const controller = new AbortController();
    const onOuter = () => controller.abort(outer.reason);
    outer.addEventListener('abort', onOuter, { once: true });
    if (outer.aborted) controller.abort(outer.reason);
    const timer = options.timeoutMs
      ? setTimeout(() => controller.abort(deadlineExceeded('STEP_TIMEOUT', `step attempt took longer than ${options.timeoutMs} ms`)), options.timeoutMs)
      : undefined;
    try {
      const value = await Promise.race([
        fn({ key, attempt, signal: controller.signal }),
        // A step that ignores its signal still ends at the timeout.
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
      return { ok: true, value, attempts: attempt };
    } catch (error) {
      const code = error instanceof MeshError ? error.code : undefined;
      if (outer.aborted || !mayRetry(policy, attempt, code)) return { ok: false, error, attempts: attempt };
      await sleepUnlessAborted(backoffMs(policy, attempt), outer);
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
    }
  }
}
