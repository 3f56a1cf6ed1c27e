import {
  JobStepKind, WorkflowStatus, jobStateToJSON, jobStepStateToJSON, pipelineJobStateToJSON, pipelineStateToJSON, stepStatusToJSON, workflowStatusToJSON,
} from '@jobmesh/contracts/jobmesh/types/v1/states.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);

const stateColours: Record<string, number> = { succeeded: 32, approved: 32, failed: 31, timed_out: 31, cancelled: 33, blocked: 35, waiting: 35, skipped: 2 };
/** A state name as people read it, coloured on a terminal (cyan for states still moving). */
const paintState = (name: string) => paint(stateColours[name] ?? 36, name);

/** A job state as people read it: `succeeded`, coloured on a terminal. */
export const formatJobState = (state: number) => paintState(jobStateToJSON(state as never).replace('JOB_STATE_', '').toLowerCase());

/** A pipeline state as people read it: `running`, `succeeded`, … */
export const formatPipelineState = (state: number) => paintState(pipelineStateToJSON(state as never).replace('PIPELINE_STATE_', '').toLowerCase());

/** A pipeline job's state as people read it: `pending`, `blocked`, `skipped`, … */
export const formatPipelineJobState = (state: number) => paintState(pipelineJobStateToJSON(state as never).replace('PIPELINE_JOB_STATE_', '').toLowerCase());

/** A job step's state as people read it; a block step that runs is `waiting` (for its approval). */
export function formatJobStepState(step: { kind: number; state: number }): string {
  const name = jobStepStateToJSON(step.state as never).replace('JOB_STEP_STATE_', '').toLowerCase();
  if (step.kind === JobStepKind.JOB_STEP_KIND_BLOCK) return paintState(name === 'running' ? 'waiting' : name === 'succeeded' ? 'approved' : name);
  return paintState(name);
}

/** A duration as `850ms`, `3.2s`, `4m05s` or `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}m`;
}

/** The time from `start` to `end` (or to now while it runs), or `-` before it started. */
export const formatSpan = (start: Date | undefined, end: Date | undefined) => (start ? formatDuration((end ?? new Date()).getTime() - start.getTime()) : '-');

/** A word as a POSIX shell reads it back: as it is when safe, else in single quotes. */
export const shellQuote = (word: string) => (/^[A-Za-z0-9_.,/:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** A workflow status as people read it. */
export function formatWorkflowStatus(status: number): string {
  const name = workflowStatusToJSON(status as never).replace('WORKFLOW_STATUS_', '').toLowerCase();
  return status === WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED ? paint(32, name) : name;
}

/** A step status as people read it. */
export const formatStepStatus = (status: number) => stepStatusToJSON(status as never).replace('STEP_STATUS_', '').toLowerCase();

/** A time as `2026-11-25 01:02:03`, or `-`. */
export const formatTime = (date: Date | undefined) => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '-');

const visible = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Renders rows as a left-aligned table with a header. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i]! - visible(c))).join('  ').trimEnd();
  return [line(header.map((h) => paint(1, h))), ...rows.map(line)].join('\n');
}

/** JSON for scripts: Dates as ISO strings, bytes as UTF-8 text. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v), 2);
}
