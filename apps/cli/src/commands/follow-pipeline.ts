import type { Pipeline, PipelineJob } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { JobStepState, PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { Api } from '../create-api.ts';
import { formatPipelineJobState, formatPipelineState, formatSpan, toJson } from '../format.ts';
import { createProgressLine } from '../progress-line.ts';
import { approveCommand, waitingBlockSteps } from './describe-pipeline.ts';

const ended = new Set<number>([PipelineState.PIPELINE_STATE_SUCCEEDED, PipelineState.PIPELINE_STATE_FAILED, PipelineState.PIPELINE_STATE_CANCELLED]);
const jobEnded = new Set<number>([PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED, PipelineJobState.PIPELINE_JOB_STATE_FAILED, PipelineJobState.PIPELINE_JOB_STATE_CANCELLED]);
/** Watches whose stream breaks (UNAVAILABLE, or ended early by a restarting orchestrator) before the pipeline ended. */
const maxWatchAttempts = 5;

/** The lines one job's new state earns: the state, its time and reason, and where to look next. */
function linesOf(job: PipelineJob, nameWidth: number): string[] {
  const took = jobEnded.has(job.state) && job.startedAt ? ` ${formatSpan(job.startedAt, job.finishedAt)}` : '';
  const lines = [`${job.name.padEnd(nameWidth)}  ${formatPipelineJobState(job.state)}${took}${job.reason ? `: ${job.reason}` : ''}`];
  if (job.state === PipelineJobState.PIPELINE_JOB_STATE_FAILED) {
    for (const step of job.steps.filter((s) => s.state === JobStepState.JOB_STEP_STATE_FAILED)) {
      lines.push(`  step ${step.index} ${JSON.stringify(step.name)} exited ${step.exitCode ?? '?'}; its output: jobmesh logs ${job.jobRequestId} --step ${step.index}`);
    }
  }
  return lines;
}

/** The spinner's text: how many jobs are in each state. */
const summaryOf = (pipeline: Pipeline) => {
  const counts = new Map<string, number>();
  for (const state of pipeline.jobs.map((job) => formatPipelineJobState(job.state))) counts.set(state, (counts.get(state) ?? 0) + 1);
  return `pipeline ${pipeline.id}: ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}`;
};

/**
 * Follows a pipeline through WatchPipeline until it ended, writing a line through `say` each time
 * one of its jobs changed state since `known` (the pipeline as the caller last saw it), with the
 * exact `jobmesh approve` command for a job blocked at a block step. A broken watch is opened again
 * (it starts with the pipeline as it is, so no change is lost or told twice).
 * @returns the ended pipeline and the exit code: 0 when it succeeded, 1 when it failed or was cancelled
 * @throws MeshError of the API (UNAVAILABLE after the last attempt)
 */
export async function followPipeline(api: Api, known: Pipeline, say: (line: string) => void): Promise<{ code: number; pipeline: Pipeline }> {
  const nameWidth = Math.max(0, ...known.jobs.map((job) => job.name.length));
  const seen = new Map(known.jobs.map((job) => [job.key, job.state]));
  const told = new Set<string>();
  const progress = createProgressLine();
  let pipeline = known;
  try {
    for (let attempt = 1; !ended.has(pipeline.state); attempt++) {
      try {
        for await (const message of api.pipelines.watchPipeline({ id: known.id })) {
          pipeline = message.pipeline!;
          progress.clear();
          for (const job of pipeline.jobs) {
            if (seen.get(job.key) !== job.state) linesOf(job, nameWidth).forEach(say);
            seen.set(job.key, job.state);
            // Told apart from the job's state: a block step may start waiting in a later change than its job's.
            for (const step of waitingBlockSteps(job).filter((s) => !told.has(`${job.key}\0${s.index}`))) {
              told.add(`${job.key}\0${step.index}`);
              say(`  to approve ${JSON.stringify(step.prompt || step.name)}: ${approveCommand(pipeline.id, job, step)}`);
            }
          }
          progress.update(summaryOf(pipeline));
        }
      } catch (error) {
        if (!isMeshError(error, status.UNAVAILABLE) || attempt >= maxWatchAttempts) throw error;
      }
      if (ended.has(pipeline.state)) break;
      if (attempt >= maxWatchAttempts) throw new Error(`the watch of pipeline ${known.id} ended ${attempt} times before the pipeline did`);
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  } finally {
    progress.stop();
  }
  say(`pipeline ${pipeline.id} ${formatPipelineState(pipeline.state)}${pipeline.error ? ` (${pipeline.error})` : ''}`);
  return { code: pipeline.state === PipelineState.PIPELINE_STATE_SUCCEEDED ? 0 : 1, pipeline };
}

/**
 * How `run` and `retry` end once the pipeline (attempt) started: its JSON with --json alone; else
 * `intro`, then with `follow` each change until it ended (lines on stderr under --json, which
 * prints the ended pipeline on stdout).
 * @returns the exit code: 0, or with `follow` 0 when the pipeline succeeded and 1 when it failed or was cancelled
 */
export async function reportStartedPipeline(api: Api, pipeline: Pipeline, intro: string, options: { follow: boolean; json: boolean }): Promise<number> {
  const out = (text: string) => process.stdout.write(text + '\n');
  const err = (text: string) => process.stderr.write(text + '\n');
  if (options.json && !options.follow) return out(toJson(pipeline)), 0;
  (options.json ? err : out)(intro);
  if (!options.follow) return err(`see it: jobmesh pipeline ${pipeline.id}`), 0;
  const ended = await followPipeline(api, pipeline, options.json ? err : out);
  if (options.json) out(toJson(ended.pipeline));
  return ended.code;
}
