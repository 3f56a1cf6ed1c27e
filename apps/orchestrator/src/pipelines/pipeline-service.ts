import { createHash, randomUUID } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import type { Pipeline } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { JobStepKind, JobStepState, PipelineJobState, PipelineState, pipelineStateToJSON } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { WorkflowRuntime } from '@jobmesh/durable';
import { defaultRepoUrlAllowlist, isRepoUrlAllowed, parseRepoUrlAllowlist, type RepoUrlRule } from '@jobmesh/config';
import { defineService, failedPrecondition, invalidArgument, isMeshError, notFound, permissionDenied, status, type CallContext } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { createLabelCatalog } from '../jobs/create-label-catalog.ts';
import { requireCommitSha, requireEnvMaps, requireRepoUrl } from '../jobs/validate-submission.ts';
import { pipelineEventName, workflowNames } from '../names.ts';
import type { SecretBox } from '../secrets/create-secret-box.ts';
import { toPlannedJob } from './pipeline-job-spec.ts';
import type { PipelineJobStatus } from './pipeline-job-state.ts';
import { defaultManifestPath, readPipelinePlan } from './read-pipeline-plan.ts';
import { pipelineAttemptWorkflowId, type PipelineEvent, type RunPipelineInput } from './run-pipeline-workflow.ts';
import { toPublicPipeline, toPublicStep } from './to-public-pipeline.ts';
import { watchPipeline } from './watch-pipeline.ts';

/** Dependencies of the public pipeline API. */
export interface PipelineServiceDeps {
  clients: MeshClients;
  runtime: WorkflowRuntime;
  defaultJobTimeoutMs: number;
  secrets: SecretBox;
  /** Repository URLs SubmitPipeline accepts (as SubmitJob). */
  repoUrlRules?: readonly RepoUrlRule[];
  /** How often WatchPipeline looks for changes, in ms. @default 250 */
  watchIntervalMs?: number;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const networkOnly = parseRepoUrlAllowlist(defaultRepoUrlAllowlist(false)).rules;
const terminal = new Set<number>([PipelineState.PIPELINE_STATE_SUCCEEDED, PipelineState.PIPELINE_STATE_FAILED, PipelineState.PIPELINE_STATE_CANCELLED]);
const statusOf: Record<number, PipelineJobStatus> = {
  [PipelineJobState.PIPELINE_JOB_STATE_PENDING]: 'pending',
  [PipelineJobState.PIPELINE_JOB_STATE_BLOCKED]: 'blocked',
  [PipelineJobState.PIPELINE_JOB_STATE_RUNNING]: 'running',
  [PipelineJobState.PIPELINE_JOB_STATE_SUCCEEDED]: 'succeeded',
  [PipelineJobState.PIPELINE_JOB_STATE_FAILED]: 'failed',
  [PipelineJobState.PIPELINE_JOB_STATE_CANCELLED]: 'cancelled',
  [PipelineJobState.PIPELINE_JOB_STATE_SKIPPED]: 'skipped',
};

/** Checks a pipeline id field. */
function requireUuid(field: string, value: string): string {
  if (!uuid.test(value)) throw invalidArgument(field, value ? 'must be a UUID' : 'is required');
  return value.toLowerCase();
}

/** Checks manifest_path: relative, `/`-separated, no `..`. */
function requireManifestPath(value: string): string {
  const path = value || defaultManifestPath;
  if (path.length > 1024 || path.startsWith('/') || path.includes('\0') || path.includes('\\') || path.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw invalidArgument('manifest_path', 'must be a relative path in the repository (`/`-separated, no `..`, at most 1024 characters)');
  }
  return path;
}

/** Who approves, for the record: a fingerprint of the bearer token (never the token), or the open API. */
function approverOf(call: CallContext): string {
  const header = call.metadata.get('authorization')[0];
  if (typeof header !== 'string' || !header) return 'anonymous (open API)';
  return `token sha256:${createHash('sha256').update(header.replace(/^Bearer\s+/i, '')).digest('hex').slice(0, 12)}`;
}

/** jobmesh.orchestrator.v1.PipelineService: pipelines from the repository's manifest. */
export function createPipelineService({ clients, runtime, defaultJobTimeoutMs, secrets, repoUrlRules = networkOnly, watchIntervalMs = 250 }: PipelineServiceDeps) {
  const labels = createLabelCatalog(clients);
  const readPipeline = async (id: string): Promise<Pipeline> => (await clients.pipelines.getPipeline({ id })).pipeline!;
  const workflowExists = (id: string) => clients.workflows.getWorkflow({ id }).then(() => true, (error: unknown) => {
    if (isMeshError(error, status.NOT_FOUND)) return false;
    throw error;
  });

  /** Raises an event on the pipeline's current attempt; false when that attempt already ended. */
  const raise = async (pipeline: Pipeline, event: PipelineEvent, dedupeKey: string): Promise<boolean> => {
    try {
      await clients.workflows.raiseWorkflowEvent({ workflowId: pipeline.workflowId, name: pipelineEventName, payloadJson: JSON.stringify(event), dedupeKey });
      return true;
    } catch (error) {
      if (isMeshError(error, status.FAILED_PRECONDITION, 'WORKFLOW_ENDED')) return false;
      throw error;
    }
  };

  /**
   * Starts the workflow of the pipeline's current attempt unless it exists: after RetryPipeline's
   * compare-and-set, or when an earlier call died between the two. Attempts after the first take
   * the plan (and sealed secrets) from the previous attempt's input, and what the pipeline keeps
   * from the store: the results of the jobs not rerun, run counts, approvals.
   */
  const ensureAttemptWorkflow = async (pipeline: Pipeline, first?: RunPipelineInput): Promise<void> => {
    if (await workflowExists(pipeline.workflowId)) return;
    let base = first;
    if (!base) {
      const previous = (await clients.workflows.getWorkflow({ id: pipelineAttemptWorkflowId(pipeline.id, pipeline.attempt - 1) })).workflow!;
      base = JSON.parse(previous.inputJson) as RunPipelineInput;
    }
    const carried: RunPipelineInput['carried'] = {};
    const earlierRuns: Record<string, number> = {};
    const approvals: Record<string, number[]> = {};
    for (const job of pipeline.jobs) {
      const jobStatus = statusOf[job.state] ?? 'pending';
      earlierRuns[job.key] = job.runs;
      if (jobStatus !== 'pending') carried[job.key] = { status: jobStatus, jobRequestId: job.jobRequestId, reason: job.reason, runs: job.runs };
      const approved = job.steps.filter((s) => s.kind === JobStepKind.JOB_STEP_KIND_BLOCK && s.state === JobStepState.JOB_STEP_STATE_SUCCEEDED).map((s) => s.index);
      if (approved.length) approvals[job.key] = approved;
    }
    const input: RunPipelineInput = { ...base, attempt: pipeline.attempt, carried, earlierRuns, approvals };
    await runtime.start(workflowNames.runPipeline, input as never, { id: pipeline.workflowId });
  };

  return defineService('jobmesh.orchestrator.v1.PipelineService', PipelineServiceService, {
    async submitPipeline(request) {
      if (request.requestId && !uuid.test(request.requestId)) throw invalidArgument('request_id', 'must be a UUID when given');
      const repoUrl = requireRepoUrl(request.repoUrl);
      if (!isRepoUrlAllowed(repoUrlRules, repoUrl)) {
        throw permissionDenied('REPO_URL_NOT_ALLOWED', 'repo_url: this orchestrator does not fetch from there; JOBMESH_REPO_URL_ALLOW lists the schemes and hosts it accepts', { field: 'repo_url' });
      }
      const commitSha = requireCommitSha(request.commitSha);
      const manifestPath = requireManifestPath(request.manifestPath);
      requireEnvMaps(request.env, request.secretEnv);
      const plan = await readPipelinePlan(clients, labels, { repoUrl, commitSha, manifestPath, env: request.env, secretEnv: request.secretEnv, defaultTimeoutMs: defaultJobTimeoutMs });
      const id = (request.requestId || randomUUID()).toLowerCase();
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
      const workflowId = pipelineAttemptWorkflowId(id, 1);
      const { pipeline } = await clients.pipelines.createPipeline({
        id, repoUrl, commitSha, manifestPath, manifestSha256: plan.manifestSha256, workflowId, traceId, jobs: plan.jobs.map(toPlannedJob),
      });
      const secretEnv = request.secretEnv;
      await ensureAttemptWorkflow(pipeline!, {
        pipelineId: id, attempt: 1, repoUrl, commitSha, jobs: plan.jobs,
        ...(Object.keys(secretEnv).length && { sealedSecretEnv: secrets.seal(id, secretEnv) }),
        carried: {}, earlierRuns: {}, approvals: {}, traceparent: carrier.traceparent ?? '', traceId,
      });
      return { pipeline: toPublicPipeline(await readPipeline(id)) };
    },

    async getPipeline(request) {
      return { pipeline: toPublicPipeline(await readPipeline(requireUuid('id', request.id))) };
    },

    async listPipelines(request) {
      const page = await clients.pipelines.listPipelines(request);
      return { pipelines: page.pipelines.map(toPublicPipeline), nextPageToken: page.nextPageToken };
    },

    async cancelPipeline(request) {
      const id = requireUuid('id', request.id);
      const pipeline = await readPipeline(id);
      const ended = () => failedPrecondition('PIPELINE_ENDED', `pipeline ${id} already ended (${pipelineStateToJSON(pipeline.state).replace('PIPELINE_STATE_', '').toLowerCase()}); nothing to cancel`);
      if (terminal.has(pipeline.state)) throw ended();
      const reason = request.reason || 'cancelled through the API';
      if (!(await raise(pipeline, { kind: 'cancel', reason }, `cancel:${pipeline.attempt}`))) throw ended();
      return { pipeline: toPublicPipeline(await readPipeline(id)) };
    },

    async retryPipeline(request) {
      const id = requireUuid('id', request.id);
      const pipeline = await readPipeline(id);
      if (!terminal.has(pipeline.state)) {
        // A retry whose caller died between the compare-and-set and the workflow: finish it.
        if (!(await workflowExists(pipeline.workflowId))) {
          await ensureAttemptWorkflow(pipeline);
          return { pipeline: toPublicPipeline(await readPipeline(id)) };
        }
        throw failedPrecondition('PIPELINE_RUNNING', `pipeline ${id} is still running (attempt ${pipeline.attempt}); cancel it or wait for its end`);
      }
      const rerun = pipeline.jobs.filter((job) => !request.failedOnly || ['failed', 'cancelled', 'skipped'].includes(statusOf[job.state] ?? '')).map((job) => job.key);
      if (rerun.length === 0) throw failedPrecondition('NOTHING_TO_RETRY', `pipeline ${id} has no failed, cancelled or skipped job to run again`);
      const attempt = pipeline.attempt + 1;
      const { pipeline: started } = await clients.pipelines.startPipelineAttempt({ id, expectedAttempt: pipeline.attempt, workflowId: pipelineAttemptWorkflowId(id, attempt), rerunKeys: rerun });
      await ensureAttemptWorkflow(started!);
      return { pipeline: toPublicPipeline(await readPipeline(id)) };
    },

    async approveStep(request, call) {
      const pipelineId = requireUuid('pipeline_id', request.pipelineId);
      if (!request.jobKey) throw invalidArgument('job_key', 'is required');
      if (!request.step) throw invalidArgument('step', 'is required: the block step\'s name or index');
      let pipeline = await readPipeline(pipelineId);
      const job = pipeline.jobs.find((j) => j.key === request.jobKey);
      if (!job) throw notFound('PIPELINE_JOB_NOT_FOUND', `job_key: pipeline ${pipelineId} has no job ${JSON.stringify(request.jobKey)}; its jobs: ${pipeline.jobs.map((j) => j.key).join(', ')}`, { field: 'job_key' });
      const step = job.steps.find((s) => s.name === request.step) ?? (/^\d+$/.test(request.step) ? job.steps.find((s) => s.index === Number(request.step)) : undefined);
      if (!step) throw notFound('STEP_NOT_FOUND', `step: job ${job.key} has no step named or numbered ${JSON.stringify(request.step)}`, { field: 'step' });
      if (step.kind !== JobStepKind.JOB_STEP_KIND_BLOCK) throw failedPrecondition('NOT_A_BLOCK_STEP', `step: ${JSON.stringify(step.name)} of job ${job.key} is a run step; only block steps are approved`, { field: 'step' });
      const approval = await clients.pipelines.recordStepApproval({ pipelineId, jobKey: job.key, stepIndex: step.index, approvedBy: approverOf(call) });
      // Tell the running attempt; if a retry started a new one meanwhile, tell that one too (it may
      // have read the approvals before this one was stored).
      for (let seen = -1; !terminal.has(pipeline.state) && pipeline.attempt !== seen;) {
        seen = pipeline.attempt;
        await raise(pipeline, { kind: 'approve', key: job.key, stepIndex: step.index }, `approve:${pipeline.attempt}:${job.key}:${step.index}`);
        pipeline = await readPipeline(pipelineId);
      }
      return { step: toPublicStep(approval.step!), approvedNow: approval.approvedNow };
    },

    async *watchPipeline(request, call) {
      const id = requireUuid('id', request.id);
      for await (const pipeline of watchPipeline(() => readPipeline(id), watchIntervalMs, call.signal)) yield { pipeline: toPublicPipeline(pipeline) };
    },
  });
}
