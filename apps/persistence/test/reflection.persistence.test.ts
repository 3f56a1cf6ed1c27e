import { randomUUID } from 'node:crypto';
import { createReflectionClient, withDeadline, type ReflectionClient } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence; reflection: ReflectionClient }>('persistence through server reflection only');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.reflection = createReflectionClient(ctx.p.address);
});
test.after(async (ctx) => {
  ctx.reflection?.close();
  await ctx.p?.stop();
});

const stores = ['JobStoreService', 'JobLogStoreService', 'VmStoreService', 'FsJobStoreService', 'WorkflowStoreService', 'ArtifactStoreService', 'PipelineStoreService'].map((s) => `jobmesh.persistence.v1.${s}`);

test('lists every store, health and reflection', async ({ reflection }) => {
  const services = await withDeadline(reflection.listServices(), 5000, 'list');
  for (const name of [...stores, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']) {
    assert.ok(services.includes(name), `${name} is listed`);
  }
});

test('describes every service, method and message, resolving every type across files', async ({ reflection }) => {
  for (const name of [...stores, 'grpc.health.v1.Health']) {
    const described = await withDeadline(reflection.describe(name), 5000, `describe ${name}`);
    assert.is(described.descriptor.kind, 'service');
    const service = described.descriptor as { methods: { name: string; input: { typeName: string }; output: { typeName: string } }[] };
    assert.ok(service.methods.length > 0);
    for (const method of service.methods) {
      for (const type of [method.input.typeName, method.output.typeName]) {
        const message = await withDeadline(reflection.describe(type), 5000, `describe ${type}`);
        assert.is(message.descriptor.kind, 'message');
      }
    }
    if (name.startsWith('jobmesh.')) assert.ok(described.leadingComment && described.leadingComment.length > 10, `${name} carries its comment`);
  }
});

test('calls Health/Check and real store methods with JSON', async ({ reflection }) => {
  assert.equal(await reflection.invokeUnary('grpc.health.v1.Health/Check', {}), { status: 'SERVING' });
  assert.equal(await reflection.invokeUnary('grpc.health.v1.Health/Check', { service: 'jobmesh.persistence.v1.JobStoreService' }), { status: 'SERVING' });
  const requestId = randomUUID();
  const created = await reflection.invokeUnary('jobmesh.persistence.v1.JobStoreService/CreateJob', {
    spec: { requestId, repoUrl: 'https://example.com/r.git', commitSha: 'b'.repeat(40), runsOn: 'local', script: 'make test', env: { A: '1' }, timeoutMs: '1000' },
  }) as { created: boolean; job: { state: string; spec: { env: Record<string, string> } } };
  assert.is(created.created, true);
  assert.is(created.job.state, 'JOB_STATE_QUEUED');
  assert.equal(created.job.spec.env, { A: '1' });
  const got = await reflection.invokeUnary('jobmesh.persistence.v1.JobStoreService/GetJob', { requestId }) as { job: { spec: { requestId: string } } };
  assert.is(got.job.spec.requestId, requestId);
  const error = await reflection.invokeUnary('jobmesh.persistence.v1.JobStoreService/GetJob', { requestId: 'bad' }).then(() => undefined, (e: { code: number }) => e);
  assert.is(error?.code, 3, 'INVALID_ARGUMENT through reflection too');
});

test.run();
