import { JobState, WorkflowStatus, jobStateToJSON, stepStatusToJSON, workflowStatusToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : text);

/** A job state as people read it: `succeeded`, coloured on a terminal. */
export function formatJobState(state: number): string {
  const name = jobStateToJSON(state as never).replace('JOB_STATE_', '').toLowerCase();
  if (state === JobState.JOB_STATE_SUCCEEDED) return paint(32, name);
  if (state === JobState.JOB_STATE_FAILED || state === JobState.JOB_STATE_TIMED_OUT) return paint(31, name);
  if (state === JobState.JOB_STATE_CANCELLED) return paint(33, name);
  return paint(36, name);
}

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
