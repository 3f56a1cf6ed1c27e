/** How a step is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 1 (no retry) */
  maxAttempts?: number;
  /** Growth of the wait between attempts. @default 'exponential' */
  backoff?: 'fixed' | 'linear' | 'exponential';
  /** Wait before the second attempt, in ms. @default 200 */
  initialIntervalMs?: number;
  /** Longest wait between attempts, in ms. @default 10000 */
  maxIntervalMs?: number;
  /** gRPC status codes never retried (the error is final at once). @default INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, UNAUTHENTICATED */
  nonRetryableCodes?: number[];
}

const defaultNonRetryable = [3, 5, 6, 7, 9, 16];

/** Wait before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const initial = policy.initialIntervalMs ?? 200;
  const max = policy.maxIntervalMs ?? 10_000;
  const raw = policy.backoff === 'fixed' ? initial : policy.backoff === 'linear' ? initial * attempt : initial * 2 ** (attempt - 1);
  return Math.min(raw, max);
}

/** True when an error with this code may be retried after `attempt` attempts. */
export function mayRetry(policy: RetryPolicy, attempt: number, code: number | undefined): boolean {
  if (attempt >= (policy.maxAttempts ?? 1)) return false;
  return code === undefined || !(policy.nonRetryableCodes ?? defaultNonRetryable).includes(code);
}
