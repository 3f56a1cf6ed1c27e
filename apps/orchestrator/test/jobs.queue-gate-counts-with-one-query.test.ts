import { JobStoreServiceService, type Job } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, createGrpcServer, defineService, status, unavailable, type GrpcServer } from '@jobmesh/grpc-kit';
import { expectStatus } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshClients } from '../src/clients/create-mesh-clients.ts';
import { createQueueGate } from '../src/jobs/create-queue-gate.ts';

// The SubmitJob queue gate measures the queue with one CountJobs query in persistence; it used to
// page through every QUEUED job row (ListJobs, 500 a page), a cost that grew with the queue.
// A stand-in persistence through real gRPC counts the calls it gets.

const queued = 2500;
type Ctx = { server: GrpcServer; address: string; calls: Record<string, number> };
const test = suite<Ctx>('queue gate counts the queue with one query');

const job = (i: number): Job => ({ spec: { requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, repoUrl: 'file:///r', commitSha: 'a'.repeat(40), runsOn: 'local', script: 'x'.repeat(2000), env: {}, timeoutMs: 1000, artifactPatterns: [], artifactWhen: 0 } as never, state: JobState.JOB_STATE_QUEUED, exitCode: undefined, error: '', workflowId: '', traceId: '', createdAt: undefined, updatedAt: undefined, startedAt: undefined, finishedAt: undefined, lastEventSequence: 0, artifactManifest: '', pipelineId: '', pipelineJobKey: '' });

test.before(async (ctx) => {
  ctx.calls = {};
  const count = (name: string) => void (ctx.calls[name] = (ctx.calls[name] ?? 0) + 1);
  const away = async () => { throw unavailable('NOT_HERE', 'not part of this test'); };
  ctx.server = createGrpcServer({
    logger: createLogger('test', { level: 'error' }),
    services: [defineService('jobmesh.persistence.v1.JobStoreService', JobStoreServiceService, {
      async countJobs(request) {
        count('countJobs');
        assert.equal(request.states, [JobState.JOB_STATE_QUEUED]);
        return { count: Math.min(queued, request.limit || queued) };
      },
      async listJobs(request) {
        count('listJobs');
        const from = request.pageToken ? Number(request.pageToken) : 0;
        const to = Math.min(queued, from + (request.pageSize || 50));
        return { jobs: Array.from({ length: to - from }, (_, i) => job(from + i)), nextPageToken: to < queued ? String(to) : '' };
      },
      createJob: away, transitionJob: away, updateJobLinks: away, getJob: away, listJobEvents: away, getQueuePosition: away, recordJobSteps: away, listJobSteps: away,
      async *watchJobEvents() { await away(); },
    })],
  });
  ctx.address = `127.0.0.1:${await ctx.server.listen('127.0.0.1:0')}`;
  ctx.server.setServing(true);
});
test.after(async (ctx) => ctx.server?.shutdown(100));

test('admitting a submission costs one CountJobs call and no job rows, whatever the queue length; a full queue refuses', async ({ address, calls }) => {
  const jobs = createClient(JobStoreServiceService, address);
  const clients = { jobs } as unknown as MeshClients;
  try {
    await createQueueGate(clients, { maxQueuedJobs: 10_000 }).admit();
    assert.equal(calls, { countJobs: 1 }, 'one query, no ListJobs pages');
    const full = createQueueGate(clients, { maxQueuedJobs: queued });
    await expectStatus(full.admit(), status.RESOURCE_EXHAUSTED, { reason: 'QUEUE_FULL' });
    assert.equal(calls, { countJobs: 2 });
  } finally {
    jobs.close();
  }
});

test.run();
