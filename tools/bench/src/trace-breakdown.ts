import type { CollectedSpan } from './collect-otlp-spans.ts';
import { fmt } from './render-table.ts';

/** The spans of one job's trace as markdown: a table of the run-job workflow's steps and the calls inside them. */
export function traceBreakdown(trace: CollectedSpan[]): string[] {
  if (trace.length === 0) return ['(no spans were collected)'];
  const t0 = Math.min(...trace.map((s) => s.startMs));
  const end = Math.max(...trace.map((s) => s.endMs));
  const ids = new Set(trace.map((s) => s.spanId));
  const children = new Map<string, CollectedSpan[]>();
  for (const s of trace) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const sorted = (list: CollectedSpan[] = []) => [...list].sort((a, b) => a.startMs - b.startMs);
  const short = (s: CollectedSpan) => s.name.replace(/^grpc\.jobmesh\.([a-z]+)\.v1\./, '$1 ').replace(/^pg\.query:(\w+).*/, 'SQL $1');
  const rows: string[] = ['| at ms | took ms | service | span |', '|---:|---:|---|---|'];
  // Depth-first, children indented; SQL spans of persistence are summed per call rather than listed.
  const walk = (parent: string, depth: number) => {
    for (const s of sorted(children.get(parent))) {
      if (s.name.startsWith('pg.')) continue;
      const sql = (children.get(s.spanId) ?? []).filter((c) => c.name.startsWith('pg.'));
      const sqlNote = sql.length ? ` (${sql.length} SQL, ${fmt(sql.reduce((sum, c) => sum + c.endMs - c.startMs, 0))} ms)` : '';
      rows.push(`| ${fmt(s.startMs - t0)} | ${fmt(s.endMs - s.startMs)} | ${s.service} | ${'&nbsp;&nbsp;'.repeat(depth)}${short(s)}${sqlNote} |`);
      // Calls from one service to the next appear twice (client and server span): show the server's inner spans only.
      if (depth < 3) walk(s.spanId, depth + 1);
    }
  };
  walk('', 0);
  const workflow = trace.find((s) => s.name.startsWith('workflow '));
  const steps = workflow ? sorted(children.get(workflow.spanId)).filter((s) => s.name.startsWith('step ')) : [];
  const inSteps = steps.reduce((sum, s) => sum + s.endMs - s.startMs, 0);
  const checkpoints = workflow ? (children.get(workflow.spanId) ?? []).filter((s) => /RecordWorkflowStep|CompleteWorkflow/.test(s.name)) : [];
  const inCheckpoints = checkpoints.reduce((sum, s) => sum + s.endMs - s.startMs, 0);
  const summary = [
    `Trace of one job: ${fmt(end - t0)} ms from SubmitJob to the last span; the workflow started ${workflow ? fmt(workflow.startMs - t0) : '–'} ms after SubmitJob began`
      + ` and ran ${workflow ? fmt(workflow.endMs - workflow.startMs) : '–'} ms: ${steps.length} steps (${fmt(inSteps)} ms in their work), `
      + `${checkpoints.length} checkpoint calls (RecordWorkflowStep/CompleteWorkflow, ${fmt(inCheckpoints)} ms), the rest between them.`,
    '',
  ];
  return [...summary, ...rows];
}
