import { context, propagation, trace } from '@opentelemetry/api';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import type { WorkflowRuntime } from '@jobmesh/durable';
import { defaultRepoUrlAllowlist, isRepoUrlAllowed, parseRepoUrlAllowlist, type RepoUrlRule } from '@jobmesh/config';
import { defineService, invalidArgument, isMeshError, notFound, permissionDenied, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import type { SecretBox } from '../secrets/create-secret-box.ts';
import { createJobRun } from './create-job-run.ts';
import { createLabelCatalog } from './create-label-catalog.ts';
import type { QueueGate } from './create-queue-gate.ts';
import { streamStepLog } from './stream-step-log.ts';
import { toPublicJob } from './to-public-job.ts';
import { validateSubmission } from './validate-submission.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const requireId = (value: string) => {
  if (!uuid.test(value)) throw invalidArgument('request_id', value ? 'must be a UUID' : 'is required');
  return value.toLowerCase();
};

/** Dependencies of the public job API. */
export interface JobServiceDeps {
  clients: MeshClients;
  runtime: WorkflowRuntime;
  defaultJobTimeoutMs: number;
  /** Seals secret env for the workflow input. */
  secrets: SecretBox;
  /** The queue limit (JOBMESH_MAX_QUEUED_JOBS). @default no limit */
  queueGate?: QueueGate;
  /** Repository URLs SubmitJob accepts (JOBMESH_REPO_URL_ALLOW). @default every network scheme, no file:// */
  repoUrlRules?: readonly RepoUrlRule[];
}

const networkOnly = parseRepoUrlAllowlist(defaultRepoUrlAllowlist(false)).rules;

/** jobmesh.orchestrator.v1.JobService: the public API. */
export function createJobService({ clients, runtime, defaultJobTimeoutMs, secrets, queueGate, repoUrlRules = networkOnly }: JobServiceDeps) {
  const labels = createLabelCatalog(clients);
  const readJob = async (requestId: string) => (await clients.jobs.getJob({ requestId })).job!;

  return defineService('jobmesh.orchestrator.v1.JobService', JobServiceService, {
    async submitJob(request) {
      const { secretEnv, ...job } = validateSubmission(request, defaultJobTimeoutMs);
      if (!isRepoUrlAllowed(repoUrlRules, job.repoUrl)) {
        throw permissionDenied('REPO_URL_NOT_ALLOWED', 'repo_url: this orchestrator does not fetch from there; JOBMESH_REPO_URL_ALLOW lists the schemes and hosts it accepts', { field: 'repo_url' });
      }
      // Secret values never reach persistence in the clear: the job row keeps
      // their keys with "***", the workflow input only the sealed map.
      const sealed = Object.keys(secretEnv).length ? { keys: Object.keys(secretEnv), sealedSecretEnv: secrets.seal(job.requestId, secretEnv) } : undefined;
      await labels.requireKnown(job.runsOn);
      // A full queue refuses new jobs only: a retried submission of a stored one still succeeds.
      await queueGate?.admit().catch(async (error: unknown) => {
        if (!(await clients.jobs.getJob({ requestId: job.requestId }).then(() => true, () => false))) throw error;
      });
      // The job's trace is the trace of the SubmitJob call that created it; its workflow continues it.
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      const traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
      const stored = await createJobRun(clients, runtime, job, { sealed, traceparent: carrier.traceparent ?? '', traceId });
      return { job: toPublicJob(stored!) };
    },

    async getJob(request) {
      const job = await readJob(requireId(request.requestId));
      // Only a pipeline's job has steps: no second call for the others.
      const steps = job.pipelineId ? (await clients.jobs.listJobSteps({ requestId: job.spec!.requestId })).steps : [];
      return { job: toPublicJob(job, steps) };
    },

    async listJobs(request) {
      const page = await clients.jobs.listJobs(request);
      return { jobs: page.jobs.map((job) => toPublicJob(job)), nextPageToken: page.nextPageToken };
    },

    async cancelJob(request) {
      const requestId = requireId(request.requestId);
      const job = await readJob(requestId);
      await clients.workflows.requestWorkflowCancel({ id: job.workflowId || requestId, reason: request.reason || 'cancelled through the API' }).catch((error: unknown) => {
        if ((error as { code?: number }).code !== 5) throw error;
        throw notFound('OPERATION_NOT_FOUND', `job ${requestId} has no operation yet; submit it again`);
      });
      return { job: toPublicJob(await readJob(requestId)) };
    },

    async *watchJob(request, call) {
      const requestId = requireId(request.requestId);
      // 0 means "from now on": start after the job's latest event.
      const after = request.afterSequence || (await readJob(requestId)).lastEventSequence;
      for await (const batch of clients.jobs.watchJobEvents({ requestId, afterSequence: after }, { signal: call.signal })) {
        for (const [i, event] of batch.events.entries()) {
          const last = i === batch.events.length - 1;
          yield {
            change: { sequence: event.sequence, fromState: event.fromState, toState: event.toState, message: event.message, createdAt: event.createdAt },
            job: last && batch.job ? toPublicJob(batch.job) : undefined,
          };
        }
      }
    },

    async *streamJobLogs(request, call) {
      const requestId = requireId(request.requestId);
      if (request.fromOffset < 0) throw invalidArgument('from_offset', 'must be 0 or more');
      const toResponses = (chunks: { seq: number; stream: number; data: Uint8Array }[]) =>
        chunks.map((c) => ({ offset: c.seq, stream: c.stream as never, data: Buffer.from(c.data) }));
      if (request.step !== undefined) {
        yield* streamStepLog(clients, requestId, request.step, request.follow, call.signal, request.fromOffset);
        return;
      }
      if (request.follow) {
        for await (const batch of clients.logs.followLog({ requestId, fromSeq: request.fromOffset }, { signal: call.signal })) yield* toResponses(batch.chunks);
        return;
      }
      // Pages of at most 1 MiB (persistence's default max_bytes), so no message grows with the
      // log; one chunk per response message, each at most 1 MiB.
      let from = request.fromOffset;
      for (;;) {
        const page = await clients.logs.readLog({ requestId, fromSeq: from, maxChunks: 0, maxBytes: 0 });
        yield* toResponses(page.chunks);
        if (!page.hasMore || call.signal.aborted) return;
        from = page.nextSeq;
      }
    },
  });
}
