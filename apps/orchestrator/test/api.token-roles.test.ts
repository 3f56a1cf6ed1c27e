import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import type { WorkflowRuntime } from '@jobmesh/durable';
import { createClient, Metadata, status, type GrpcServer, type MeshError } from '@jobmesh/grpc-kit';
import { createReflectionClient, expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { createLogger } from '@jobmesh/logger';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTokenAuthorizer } from '../src/auth/create-token-authorizer.ts';
import { loadTokenFile } from '../src/auth/load-token-file.ts';
import { createMeshClients } from '../src/clients/create-mesh-clients.ts';
import { createSecretBox } from '../src/secrets/create-secret-box.ts';
import { createOrchestratorServer } from '../src/server.ts';

// The real public API server with the token authorizer. Its dependencies point
// nowhere: a call the authorizer lets through is proven by the handler's own
// answer (INVALID_ARGUMENT for an empty request), never by a refusal.
type Ctx = { dir: string; server: GrpcServer; address: string; clients: ReturnType<typeof createMeshClients> };
const test = suite<Ctx>('orchestrator public API: bearer tokens per role');
const tokens = { read: `r-${randomBytes(12).toString('hex')}`, submit: `s-${randomBytes(12).toString('hex')}`, admin: `a-${randomBytes(12).toString('hex')}` };

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-tokens-'));
  const file = join(ctx.dir, 'tokens');
  await writeFile(file, `# role token\nread ${tokens.read}\n\nsubmit   ${tokens.submit}\nadmin\t${tokens.admin}\n`);
  ctx.clients = createMeshClients({ persistenceAddress: '127.0.0.1:1', vmRunnerAddresses: ['127.0.0.1:1'], fsopsAddresses: ['127.0.0.1:1'] });
  ctx.server = createOrchestratorServer({
    clients: ctx.clients, runtime: {} as WorkflowRuntime, logger: createLogger('test', { sink: () => {} }), defaultJobTimeoutMs: 60_000,
    secrets: createSecretBox(randomBytes(32)), authorize: createTokenAuthorizer(await withDeadline(loadTokenFile(file), 5000, 'token file')),
  });
  ctx.address = `127.0.0.1:${await withDeadline(ctx.server.listen('127.0.0.1:0'), 5000, 'listen')}`;
  ctx.server.setServing(true);
});

test.after(async (ctx) => {
  await withDeadline(ctx.server.shutdown(100), 5000, 'shutdown');
  ctx.clients.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

function jobsClient(ctx: Ctx, header?: string) {
  const metadata = new Metadata();
  if (header !== undefined) metadata.set('authorization', header);
  return createClient(JobServiceService, ctx.address, { metadata, deadlineMs: 5000, maxAttempts: 1 });
}

function pipelinesClient(ctx: Ctx, header: string) {
  const metadata = new Metadata();
  metadata.set('authorization', header);
  return createClient(PipelineServiceService, ctx.address, { metadata, deadlineMs: 5000, maxAttempts: 1 });
}

const calls = {
  submitJob: (c: ReturnType<typeof jobsClient>) => c.submitJob({ repoUrl: '', commitSha: '', runsOn: '', script: '', env: {}, secretEnv: {}, timeoutMs: 0, artifactPatterns: [], artifactWhen: 0, requestId: '' }),
  getJob: (c: ReturnType<typeof jobsClient>) => c.getJob({ requestId: '' }),
  cancelJob: (c: ReturnType<typeof jobsClient>) => c.cancelJob({ requestId: '', reason: '' }),
  streamJobLogs: async (c: ReturnType<typeof jobsClient>) => { for await (const _ of c.streamJobLogs({ requestId: '', fromOffset: 0, follow: false })) void _; },
};
type Call = keyof typeof calls;
const allowed: Record<keyof typeof tokens, Call[]> = {
  read: ['getJob', 'streamJobLogs'],
  submit: ['getJob', 'streamJobLogs', 'submitJob'],
  admin: ['getJob', 'streamJobLogs', 'submitJob', 'cancelJob'],
};

for (const role of ['read', 'submit', 'admin'] as const) {
  test(`role ${role}: allowed calls reach the handler, the others are PERMISSION_DENIED`, async (ctx) => {
    const client = jobsClient(ctx, `Bearer ${tokens[role]}`);
    try {
      for (const name of Object.keys(calls) as Call[]) {
        const call = withDeadline<unknown>(calls[name](client), 10_000, `${role} ${name}`);
        if (allowed[role].includes(name)) {
          await expectStatus(call, status.INVALID_ARGUMENT);
        } else {
          const error: MeshError = await expectStatus(call, status.PERMISSION_DENIED, { reason: 'ROLE_INSUFFICIENT' });
          assert.is(error.facts.role, role);
        }
      }
    } finally {
      client.close();
    }
  });
}

// Pipelines: reads need read; submitting and retrying submit; cancelling and approving admin.
const pipelineCalls = {
  getPipeline: (c: ReturnType<typeof pipelinesClient>) => c.getPipeline({ id: '' }),
  watchPipeline: async (c: ReturnType<typeof pipelinesClient>) => { for await (const _ of c.watchPipeline({ id: '' })) void _; },
  submitPipeline: (c: ReturnType<typeof pipelinesClient>) => c.submitPipeline({ repoUrl: '', commitSha: '', manifestPath: '', env: {}, secretEnv: {}, requestId: '' }),
  retryPipeline: (c: ReturnType<typeof pipelinesClient>) => c.retryPipeline({ id: '', failedOnly: false }),
  cancelPipeline: (c: ReturnType<typeof pipelinesClient>) => c.cancelPipeline({ id: '', reason: '' }),
  approveStep: (c: ReturnType<typeof pipelinesClient>) => c.approveStep({ pipelineId: '', jobKey: '', step: '' }),
};
type PipelineCall = keyof typeof pipelineCalls;
const pipelineAllowed: Record<keyof typeof tokens, PipelineCall[]> = {
  read: ['getPipeline', 'watchPipeline'],
  submit: ['getPipeline', 'watchPipeline', 'submitPipeline', 'retryPipeline'],
  admin: ['getPipeline', 'watchPipeline', 'submitPipeline', 'retryPipeline', 'cancelPipeline', 'approveStep'],
};

for (const role of ['read', 'submit', 'admin'] as const) {
  test(`role ${role}: pipeline calls allowed or PERMISSION_DENIED by role`, async (ctx) => {
    const client = pipelinesClient(ctx, `Bearer ${tokens[role]}`);
    try {
      for (const name of Object.keys(pipelineCalls) as PipelineCall[]) {
        const call = withDeadline<unknown>(pipelineCalls[name](client), 10_000, `${role} ${name}`);
        if (pipelineAllowed[role].includes(name)) await expectStatus(call, status.INVALID_ARGUMENT);
        else await expectStatus(call, status.PERMISSION_DENIED, { reason: 'ROLE_INSUFFICIENT' });
      }
    } finally {
      client.close();
    }
  });
}

test('no token, a malformed header or an unknown token is UNAUTHENTICATED, on unary calls and streams', async (ctx) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'TOKEN_MISSING'], [tokens.admin, 'TOKEN_MISSING'], ['Basic abc', 'TOKEN_MISSING'],
    [`Bearer ${tokens.admin}x`, 'TOKEN_UNKNOWN'], [`Bearer ${tokens.admin.slice(0, -1)}`, 'TOKEN_UNKNOWN'],
  ];
  for (const [header, reason] of cases) {
    const client = jobsClient(ctx, header);
    try {
      await expectStatus(withDeadline(calls.getJob(client), 10_000, 'getJob'), status.UNAUTHENTICATED, { reason });
      await expectStatus(withDeadline(calls.streamJobLogs(client), 10_000, 'stream'), status.UNAUTHENTICATED, { reason });
    } finally {
      client.close();
    }
  }
});

test('the scheme is case-insensitive; health and reflection stay open without a token', async (ctx) => {
  const client = jobsClient(ctx, `bearer ${tokens.read}`);
  const health = createClient(HealthService, ctx.address, { deadlineMs: 5000, maxAttempts: 1 });
  const reflection = createReflectionClient(ctx.address);
  try {
    await expectStatus(withDeadline(calls.getJob(client), 10_000, 'getJob'), status.INVALID_ARGUMENT);
    assert.is((await withDeadline(health.check({ service: '' }), 5000, 'health')).status, HealthCheckResponse_ServingStatus.SERVING);
    const services = await withDeadline(reflection.listServices(), 5000, 'reflection');
    assert.ok(services.includes('jobmesh.orchestrator.v1.JobService'), services.join());
  } finally {
    client.close();
    health.close();
    reflection.close();
  }
});

test.run();
