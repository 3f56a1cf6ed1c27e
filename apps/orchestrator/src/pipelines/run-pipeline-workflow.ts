import { createHash } from 'node:crypto';
import { PipelineJobState, PipelineState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { derivedUuid, WorkflowCancelledError, type RetryPolicy, type WorkflowContext, type WorkflowRuntime } from '@jobmesh/durable';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { createJobRun } from '../jobs/create-job-run.ts';
import { pipelineEventName, runPipelineSteps as steps } from '../names.ts';
import type { JobEndedEvent } from '../run-job/pipeline-job-steps.ts';
import type { SecretBox } from '../secrets/create-secret-box.ts';
import { renderStepsScript } from '../steps/render-steps-script.ts';
import { decidePipeline } from './decide-pipeline.ts';
import { artifactWhenOf, type PipelineJobSpec } from './pipeline-job-spec.ts';
import { endedStatuses, type PipelineJobStatus, type TrackedJob } from './pipeline-job-state.ts';

/** What a pipeline attempt's workflow is started with. */
export interface RunPipelineInput {
  pipelineId: string;
  attempt: number;
  repoUrl: string;
  commitSha: string;
  /** The plan, in order. */
  jobs: PipelineJobSpec[];
  /** The submission's secret env, sealed for the pipeline id. */
  sealedSecretEnv?: string;
  /** Jobs that keep their result from an earlier attempt (RetryPipeline). */
  carried: Record<string, { status: PipelineJobStatus; jobRequestId: string; reason: string; runs: number }>;
  /** Runs each job had before this attempt. */
  earlierRuns: Record<string, number>;
  /** Block steps approved before this attempt began, per job key. */
  approvals: Record<string, number[]>;
  traceparent: string;
  traceId: string;
  [key: string]: unknown;
}

/** Events the pipeline's workflow receives (all under pipelineEventName). */
export type PipelineEvent = JobEndedEvent | { kind: 'approve'; key: string; stepIndex: number } | { kind: 'cancel'; reason: string };

/** What the workflow ends with. */
export interface RunPipelineOutput {
  state: 'succeeded' | 'failed' | 'cancelled';
  error: string;
  [key: string]: string;
}

/** Dependencies of the workflow. */
export interface RunPipelineDeps {
  clients: MeshClients;
  runtime: WorkflowRuntime;
  secrets: SecretBox;
}

const serviceCall: RetryPolicy = { maxAttempts: 40, backoff: 'exponential', initialIntervalMs: 200, maxIntervalMs: 5000 };
/** Most job runs one `pipeline.advance` step submits. */
const startBatch = 32;

const toStoredState: Record<PipelineJobStatus, PipelineJobState> = {
  pending: PipelineJobState.PIPELINE_JOB_STATE_PENDING,
  blocked: PipelineJobState.PIPELINE_JOB_STATE_BLOCKED,
  running: PipelineJobState.PIPELINE_JOB_STATE_RUNNING,
  succeeded: PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED,
  failed: PipelineJobState.PIPELINE_JOB_STATE_FAILED,
  cancelled: PipelineJobState.PIPELINE_JOB_STATE_CANCELLED,
  skipped: PipelineJobState.PIPELINE_JOB_STATE_SKIPPED,
};

/** Id of a job run: derived from the pipeline, attempt, job and run, so a replayed step finds the same job. */
export function pipelineJobRunId(pipelineId: string, attempt: number, key: string, run: number): string {
  return derivedUuid(`pipeline:${pipelineId}:${attempt}:${key}:${run}`);
}

/** Id of the workflow of a pipeline attempt. */
export function pipelineAttemptWorkflowId(pipelineId: string, attempt: number): string {
  return derivedUuid(`pipeline:${pipelineId}:attempt:${attempt}`);
}

/**
 * The run-pipeline workflow, one per attempt: it starts each job (an ordinary run-job workflow, a
 * child of this one) once its needs ended as its `if` wants and its block steps are approved,
 * records every decision in persistence, and waits for events: a job ended (run-job's last step
 * raises it), a step was approved, the pipeline was cancelled. Events come back in the order they
 * were raised, so a replay after a crash decides exactly the same; job runs have ids derived from
 * (pipeline, attempt, key, run), so a replayed start finds the run it made. A job that failed for
 * an infrastructure reason (no exit code) runs again up to its `retry` count.
 */
export function createRunPipelineWorkflow({ clients, runtime, secrets }: RunPipelineDeps) {
  return async (ctx: WorkflowContext, input: RunPipelineInput): Promise<RunPipelineOutput> => {
    const { pipelineId, attempt } = input;
    const plan = new Map(input.jobs.map((job) => [job.key, job]));
    const jobs = new Map<string, TrackedJob>(input.jobs.map((job) => {
      const carried = input.carried[job.key];
      const earlierRuns = input.earlierRuns[job.key] ?? 0;
      return [job.key, carried
        ? { status: carried.status, reason: carried.reason, jobRequestId: carried.jobRequestId, runs: 0, earlierRuns }
        : { status: 'pending', reason: '', jobRequestId: '', runs: 0, earlierRuns }];
    }));
    const approvals = new Map(Object.entries(input.approvals).map(([key, list]) => [key, new Set(list)]));
    let cancelled = false;
    let cancelReason = '';

    /**
     * Starts the jobs' runs and records the decisions: one step per batch of at most
     * `startBatch` runs (each batch submitted 8 at a time), so the first jobs of a wide
     * pipeline run, and show as running, before the last ones are submitted.
     */
    const advance = async (start: string[], changes: Array<{ key: string; status: PipelineJobStatus; reason: string }>) => {
      for (const change of changes) Object.assign(jobs.get(change.key)!, { status: change.status, reason: change.reason });
      const batches: string[][] = [];
      for (let i = 0; i < start.length; i += startBatch) batches.push(start.slice(i, i + startBatch));
      if (batches.length === 0) batches.push([]);
      for (const [b, batch] of batches.entries()) {
        for (const key of batch) {
          const job = jobs.get(key)!;
          job.runs += 1;
          job.jobRequestId = pipelineJobRunId(pipelineId, attempt, key, job.runs);
          job.status = 'running';
          job.reason = job.runs > 1 ? `run ${job.runs}: the previous one failed for an infrastructure reason` : '';
        }
        const startedRuns = batch.map((key) => ({ key, jobRequestId: jobs.get(key)!.jobRequestId }));
        const recorded = [...batch, ...(b === 0 ? changes.map((c) => c.key) : [])];
        await ctx.step(steps.advance, async () => {
          const now = new Date();
          for (let i = 0; i < startedRuns.length; i += 8) {
            await Promise.all(startedRuns.slice(i, i + 8).map((run) => startJobRun(plan.get(run.key)!, run.jobRequestId)));
          }
          await clients.pipelines.updatePipelineJobs({
            pipelineId,
            attempt,
            updates: recorded.map((key) => {
              const job = jobs.get(key)!;
              const ended = endedStatuses.has(job.status);
              return { key, state: toStoredState[job.status], reason: job.reason, jobRequestId: job.jobRequestId, runs: job.earlierRuns + job.runs,
                startedAt: job.status === 'running' ? now : undefined, finishedAt: ended ? now : undefined };
            }),
          });
        }, { retry: serviceCall });
      }
    };

    /** Submits one run of a job: its script renders its run steps; its secrets are resealed for the run. */
    const startJobRun = async (spec: PipelineJobSpec, jobRequestId: string) => {
      const runSteps = spec.steps.filter((s) => s.kind === 'run');
      const nonce = createHash('sha256').update(`steps:${jobRequestId}`).digest('hex').slice(0, 32);
      const allSecrets = input.sealedSecretEnv ? secrets.open(pipelineId, input.sealedSecretEnv) : {};
      const jobSecrets = Object.fromEntries(spec.secretEnv.map((name) => [name, allSecrets[name] ?? '']));
      const sealed = spec.secretEnv.length ? { keys: spec.secretEnv, sealedSecretEnv: secrets.seal(jobRequestId, jobSecrets) } : undefined;
      await createJobRun(clients, runtime, {
        requestId: jobRequestId,
        repoUrl: input.repoUrl,
        commitSha: input.commitSha,
        runsOn: spec.runsOn,
        script: renderStepsScript(runSteps, nonce),
        env: { ...spec.env, JOBMESH_PIPELINE_ID: pipelineId, JOBMESH_PIPELINE_JOB: spec.key },
        timeoutMs: spec.timeoutMs,
        artifactPatterns: spec.artifactPaths,
        artifactWhen: artifactWhenOf[spec.artifactWhen],
      }, {
        sealed,
        traceparent: input.traceparent,
        traceId: input.traceId,
        pipeline: {
          parentWorkflowId: ctx.workflowId,
          pipelineId,
          workflowId: ctx.workflowId,
          key: spec.key,
          stepNonce: nonce,
          runSteps: runSteps.map((s) => ({ index: s.index, name: s.name })),
          needs: spec.needs.map((key) => ({ key, jobRequestId: jobs.get(key)!.jobRequestId })).filter((n) => n.jobRequestId),
          concurrency: spec.concurrency,
        },
      });
      await clients.jobs.recordJobSteps({ requestId: jobRequestId, steps: runSteps.map((s) => ({
        index: s.index, name: s.name, kind: 1, state: 1, startedAt: undefined, finishedAt: undefined, approvedBy: '', prompt: '', startSeq: 0, startOffset: 0, endSeq: 0, endOffset: 0,
        errStartSeq: 0, errStartOffset: 0, errEndSeq: 0, errEndOffset: 0, hasStart: false, hasEnd: false, hasErrStart: false, hasErrEnd: false,
      })) });
    };

    /** Applies one event to what the workflow knows. */
    const receive = (event: PipelineEvent): Array<{ key: string; status: PipelineJobStatus; reason: string }> => {
      if (event.kind === 'approve') {
        if (!approvals.has(event.key)) approvals.set(event.key, new Set());
        approvals.get(event.key)!.add(event.stepIndex);
        return [];
      }
      if (event.kind === 'cancel') {
        cancelled = true;
        cancelReason = event.reason;
        return [];
      }
      const job = jobs.get(event.key);
      // An event of a run this attempt no longer tracks (cannot happen unless ids collide): ignored.
      if (!job || job.jobRequestId !== event.jobRequestId || job.status !== 'running') return [];
      const spec = plan.get(event.key)!;
      const infrastructure = event.state === 'failed' && event.exitCode === null;
      if (infrastructure && job.runs <= spec.retry && !cancelled) {
        job.status = 'pending';
        return [];
      }
      job.status = event.state === 'succeeded' ? 'succeeded' : event.state === 'cancelled' ? 'cancelled' : 'failed';
      job.reason = event.state === 'succeeded' ? '' : event.error;
      return [{ key: event.key, status: job.status, reason: job.reason }];
    };

    try {
      // Job endings received since the last decision: recorded with it.
      let ended: Array<{ key: string; status: PipelineJobStatus; reason: string }> = [];
      for (;;) {
        const decision = decidePipeline(input.jobs, jobs, { approvals, cancelled });
        const changes = [...ended, ...decision.changes];
        ended = [];
        if (decision.start.length || changes.length) await advance(decision.start, changes);
        // Open while a job runs or waits for an approval; with neither, every need has ended, so
        // decidePipeline started or skipped every pending job (the manifest has no cycles).
        if (![...jobs.values()].some((j) => j.status === 'running' || j.status === 'blocked')) break;
        const event = await ctx.waitForEvent<PipelineEvent>(pipelineEventName);
        const wasCancelled = cancelled;
        ended = receive(event);
        if (cancelled && !wasCancelled) await cancelRunningJobs();
      }
    } catch (error) {
      // The workflow itself was cancelled (CancelJob on its operation): stop the jobs and end.
      if (!(error instanceof WorkflowCancelledError)) throw error;
      cancelled = true;
      cancelReason = error.message;
      await cancelRunningJobs(true);
      await ctx.step(steps.cancelJobs, async () => {
        const now = new Date();
        const open = [...jobs.entries()].filter(([, j]) => !endedStatuses.has(j.status));
        if (open.length) await clients.pipelines.updatePipelineJobs({ pipelineId, attempt, updates: open.map(([key, j]) => ({ key, state: PipelineJobState.PIPELINE_JOB_STATE_CANCELLED, reason: cancelReason, jobRequestId: j.jobRequestId, runs: j.earlierRuns + j.runs, finishedAt: now, startedAt: undefined })) });
      }, { cleanup: true, retry: serviceCall });
    }
    const all = [...jobs.values()];
    const output: RunPipelineOutput = cancelled
      ? { state: 'cancelled', error: cancelReason || 'cancelled' }
      : all.some((j) => j.status === 'failed')
        ? { state: 'failed', error: `failed: ${[...jobs.entries()].filter(([, j]) => j.status === 'failed').map(([key]) => key).join(', ')}` }
        : { state: 'succeeded', error: '' };
    await ctx.step(steps.finish, async () => {
      const state = { succeeded: PipelineState.PIPELINE_STATE_SUCCEEDED, failed: PipelineState.PIPELINE_STATE_FAILED, cancelled: PipelineState.PIPELINE_STATE_CANCELLED }[output.state];
      await clients.pipelines.finishPipeline({ id: pipelineId, attempt, state, error: output.error });
    }, { cleanup: true, retry: serviceCall });
    return output;

    /** Asks every running job of the pipeline to cancel (its run-job ends it and raises job-ended). */
    async function cancelRunningJobs(cleanup = false) {
      const running = [...jobs.values()].filter((j) => j.status === 'running').map((j) => j.jobRequestId);
      if (running.length === 0) return;
      await ctx.step(steps.cancelJobs, async () => {
        for (const id of running) {
          await clients.workflows.requestWorkflowCancel({ id, reason: `the pipeline was cancelled: ${cancelReason}` }).catch((error: unknown) => {
            if (!isMeshError(error, status.NOT_FOUND)) throw error;
          });
        }
      }, { cleanup, retry: serviceCall });
    }
  };
}
