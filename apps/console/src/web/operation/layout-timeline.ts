import type { OperationView, StepView } from '../../shared/api-types.ts';

/** One bar of the timeline, in percent of the operation's span. */
export interface TimelineBar {
  step: StepView;
  /** Left edge, 0 to 100. */
  left: number;
  /** Width, at least a sliver so a 1 ms step stays visible. */
  width: number;
  durationMs: number;
  /** True when the step took more than one attempt (it was retried). */
  retried: boolean;
}

/** The timeline of an operation: its span and a bar per recorded step placed by start and duration. */
export function layoutTimeline(operation: OperationView, now = Date.now()): { startMs: number; spanMs: number; bars: TimelineBar[] } {
  const times = operation.steps.flatMap((s) => [s.startedAt, s.finishedAt]).filter((t): t is string => !!t).map(Date.parse);
  const startMs = Math.min(operation.createdAt ? Date.parse(operation.createdAt) : Infinity, ...times);
  const endMs = Math.max(operation.finishedAt ? Date.parse(operation.finishedAt) : operation.status === 'running' || operation.status === 'pending' ? now : -Infinity, ...times);
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return { startMs: 0, spanMs: 0, bars: [] };
  const spanMs = Math.max(1, endMs - startMs);
  const bars = operation.steps.map((step) => {
    const from = step.startedAt ? Date.parse(step.startedAt) : startMs;
    const to = step.finishedAt ? Date.parse(step.finishedAt) : from;
    const left = ((from - startMs) / spanMs) * 100;
    return { step, left: Math.min(99.5, left), width: Math.max(0.5, Math.min(100 - left, ((to - from) / spanMs) * 100)), durationMs: Math.max(0, to - from), retried: step.attempts > 1 };
  });
  return { startMs, spanMs, bars };
}
