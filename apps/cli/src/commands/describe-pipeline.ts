import type { JobStep, Pipeline, PipelineJob } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { JobStepKind, JobStepState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { formatJobStepState, formatPipelineJobState, formatPipelineState, formatSpan, formatTable, formatTime, shellQuote } from '../format.ts';

/** A job as people name it: its display name, with its key (what approve takes) when that differs. */
export const jobLabel = (job: PipelineJob) => (job.name === job.key ? job.key : `${job.name} [${job.key}]`);

/** The exact command that approves a block step. */
export const approveCommand = (pipelineId: string, job: PipelineJob, step: JobStep) => `jobmesh approve ${pipelineId} ${shellQuote(job.key)} ${shellQuote(step.name)}`;

/** The block steps of a job that wait for their approval now. */
export const waitingBlockSteps = (job: PipelineJob) => job.steps.filter((s) => s.kind === JobStepKind.JOB_STEP_KIND_BLOCK && s.state === JobStepState.JOB_STEP_STATE_RUNNING);

function stepDetail(pipelineId: string, job: PipelineJob, step: JobStep): string {
  if (step.kind === JobStepKind.JOB_STEP_KIND_BLOCK) {
    if (step.approvedBy) return `approved by ${step.approvedBy}`;
    return step.state === JobStepState.JOB_STEP_STATE_RUNNING ? `to approve: ${approveCommand(pipelineId, job, step)}` : `block: ${step.prompt || step.name}`;
  }
  return step.exitCode === undefined ? '' : `exit ${step.exitCode}`;
}

/**
 * Each job once, under the need that comes last in plan order, with `needs: a, b` when it has
 * several. Repeating a job under each of its needs would repeat it, its steps and every job below
 * it once per need: a test after a 2×2 matrix build would appear four times, and its deploy too.
 * The last need in plan order is the one it waits for longest in reading order, so the tree still
 * reads top-down as the order things can happen in.
 */
function placeJobs(jobs: PipelineJob[]): { roots: PipelineJob[]; children: Map<string, PipelineJob[]> } {
  const position = new Map(jobs.map((job, i) => [job.key, i]));
  const roots: PipelineJob[] = [];
  const children = new Map<string, PipelineJob[]>();
  for (const job of jobs) {
    const needs = job.needs.filter((key) => position.has(key) && position.get(key)! < position.get(job.key)!);
    if (needs.length === 0) {
      roots.push(job);
      continue;
    }
    const parent = needs.reduce((a, b) => (position.get(a)! > position.get(b)! ? a : b));
    children.set(parent, [...(children.get(parent) ?? []), job]);
  }
  return { roots, children };
}

/** The pipeline as people read it: its facts, then the DAG as an indented tree of jobs and their steps. */
export function describePipeline(pipeline: Pipeline): string {
  const facts: [string, string][] = [
    ['pipeline', pipeline.id], ['state', `${formatPipelineState(pipeline.state)} (attempt ${pipeline.attempt})`], ['repo', pipeline.repoUrl],
    ['commit', pipeline.commitSha], ['manifest', pipeline.manifestPath], ['created', formatTime(pipeline.createdAt)], ['finished', formatTime(pipeline.finishedAt)],
    ['error', pipeline.error || '-'], ['operation', pipeline.operationId || '-'], ['trace', pipeline.traceId || '-'],
  ];
  const rows: string[][] = [];
  const { roots, children } = placeJobs(pipeline.jobs);
  const visit = (job: PipelineJob, depth: number) => {
    const detail = [job.needs.length > 1 ? `needs: ${job.needs.join(', ')}` : '', job.condition && job.condition !== 'success' ? `if: ${job.condition}` : '', job.reason];
    rows.push([`${depth ? '   '.repeat(depth - 1) + '└─ ' : ''}${jobLabel(job)}`, formatPipelineJobState(job.state), String(job.runs), formatSpan(job.startedAt, job.finishedAt),
      job.jobRequestId || '-', detail.filter(Boolean).join('; ')]);
    for (const step of job.steps) {
      rows.push([`${'   '.repeat(depth)}  · ${step.index} ${step.name}`, formatJobStepState(step), '', formatSpan(step.startedAt, step.finishedAt), '', stepDetail(pipeline.id, job, step)]);
    }
    for (const child of children.get(job.key) ?? []) visit(child, depth + 1);
  };
  roots.forEach((job) => visit(job, 0));
  return `${facts.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n')}\n\n${formatTable(['JOB / STEP', 'STATE', 'RUNS', 'TOOK', 'JOB ID', 'DETAIL'], rows)}`;
}
