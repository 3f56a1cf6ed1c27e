import * as grpc from '@grpc/grpc-js';
import type { DescMessage } from '@bufbuild/protobuf';
import { readDescriptorSet } from '@jobmesh/contracts/descriptor-set';
import {
  GetJobResponse,
  type JobStoreServiceServer,
  JobStoreServiceService,
} from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { HealthImplementation } from 'grpc-health-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addReflectionService } from '../src/reflection/add-reflection-service.ts';
import { createReflectionIndex } from '../src/reflection/create-reflection-index.ts';
import { createReflectionClient, loadReflectedFiles, type ReflectionClient, withDeadline } from '../src/testing/index.ts';

// On Node 20 the .ts files would not even load; say why instead of failing obscurely.
if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`needs Node 24+, got ${process.versions.node}: run through npx`);

const STEP_MS = 5_000;
const index = createReflectionIndex(readDescriptorSet());
const server = new grpc.Server();
const clients: ReflectionClient[] = [];
let address = '';

const getJob: JobStoreServiceServer['getJob'] = (call, callback) => {
  const spec = { requestId: call.request.requestId, env: { CI: 'true' } };
  callback(null, GetJobResponse.fromPartial({ job: { spec, createdAt: new Date('2026-01-02T03:04:05Z') } }));
};

test.before(async () => {
  addReflectionService(server, index, ['grpc.health.v1.Health', 'jobmesh.persistence.v1.JobStoreService']);
  new HealthImplementation({ '': 'SERVING' }).addToServer(server);
  // grpc-js answers UNIMPLEMENTED for the methods left out.
  server.addService(JobStoreServiceService, { getJob });
  const port = await withDeadline(
    new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    }),
    STEP_MS,
    'bind server',
  );
  address = `127.0.0.1:${port}`;
});

test.after(async () => {
  for (const client of clients) client.close();
  await withDeadline(new Promise<void>((resolve) => server.tryShutdown(() => resolve())), STEP_MS, 'shut down server').catch(() => server.forceShutdown());
});

const connect = (version: 'v1' | 'v1alpha'): ReflectionClient => {
  const client = createReflectionClient(address, version);
  clients.push(client);
  return client;
};

const expectedServices = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
  'jobmesh.persistence.v1.JobStoreService',
];

for (const version of ['v1', 'v1alpha'] as const) {
  test(`${version}: lists the served services and the reflection services`, async () => {
    const names = await withDeadline(connect(version).listServices(), STEP_MS, `${version} list_services`);
    assert.equal([...names].sort(), expectedServices);
  });

  test(`${version}: describes every service, method and message reachable from them`, async () => {
    const client = connect(version);
    const described = new Map<string, DescMessage>();
    const describeMessage = async (typeName: string): Promise<void> => {
      if (described.has(typeName)) return;
      const { descriptor } = await withDeadline(client.describe(typeName), STEP_MS, `${version} describe ${typeName}`);
      assert.is(descriptor.kind, 'message', typeName);
      if (descriptor.kind !== 'message') return;
      described.set(typeName, descriptor);
      for (const field of descriptor.fields) if (field.message !== undefined) await describeMessage(field.message.typeName);
    };
    for (const serviceName of expectedServices) {
      const { descriptor, leadingComment } = await withDeadline(client.describe(serviceName), STEP_MS, `${version} describe ${serviceName}`);
      if (descriptor.kind !== 'service') throw new Error(`${serviceName} described as ${descriptor.kind}`);
      assert.ok(leadingComment, `${serviceName} keeps its comment from source info`);
      for (const method of descriptor.methods) {
        const described = await withDeadline(client.describe(`${serviceName}.${method.name}`), STEP_MS, `${version} describe ${method.name}`);
        assert.is(described.descriptor.kind, 'rpc');
        await describeMessage(method.input.typeName);
        await describeMessage(method.output.typeName);
      }
    }

    const job = described.get('jobmesh.persistence.v1.Job');
    assert.is(job?.field.createdAt?.message?.typeName, 'google.protobuf.Timestamp');
    assert.ok(described.has('google.protobuf.Timestamp'));
    const env = described.get('jobmesh.persistence.v1.JobSpec')?.field.env;
    assert.is(env?.fieldKind, 'map');
    const envEntry = described.get('jobmesh.persistence.v1.JobSpec')?.proto.nestedType.find((nested) => nested.name === 'EnvEntry');
    assert.is(envEntry?.options?.mapEntry, true);
    const statuses = described.get('grpc.health.v1.HealthListResponse')?.field.statuses;
    assert.is(statuses?.fieldKind, 'map');
    assert.is(statuses?.fieldKind === 'map' ? statuses.message?.typeName : undefined, 'grpc.health.v1.HealthCheckResponse');
  });

  test(`${version}: answers NOT_FOUND for an unknown symbol`, async () => {
    const failure = await withDeadline(connect(version).describe('jobmesh.nowhere.v1.Missing').then(() => undefined, (error: grpc.ServiceError) => error), STEP_MS, 'describe unknown');
    assert.is(failure?.code, grpc.status.NOT_FOUND);
  });
}

test('calls Health/Check, Health/Watch and JobStoreService/GetJob with JSON through reflection alone', async () => {
  const client = connect('v1');
  assert.equal(await withDeadline(client.invokeUnary('grpc.health.v1.Health/Check', {}), STEP_MS, 'Health/Check'), { status: 'SERVING' });
  const watched = await withDeadline(client.invokeServerStream('grpc.health.v1.Health/Watch', {}, undefined, { maxMessages: 1 }), STEP_MS, 'Health/Watch');
  assert.equal(watched, [{ status: 'SERVING' }]);
  const job = await withDeadline(client.invokeUnary('jobmesh.persistence.v1.JobStoreService/GetJob', { requestId: 'job-42' }), STEP_MS, 'GetJob');
  assert.equal(job, { job: { spec: { requestId: 'job-42', env: { CI: 'true' } }, createdAt: '2026-01-02T03:04:05Z' } });
  const refused = await withDeadline(client.invokeUnary('jobmesh.persistence.v1.JobStoreService/ListJobs', {}).then(() => undefined, (error: grpc.ServiceError) => error), STEP_MS, 'ListJobs');
  assert.is(refused?.code, grpc.status.UNIMPLEMENTED);
});

test('the strict loader rejects what grpcurl rejects', () => {
  const [jobsFile, ...imports] = index.fileWithDependencies('jobmesh/persistence/v1/jobs.proto')!;
  assert.ok(imports.length >= 2, 'jobs.proto is served with its imports');
  assert.throws(() => loadReflectedFiles([jobsFile!]), /Cannot find google\/protobuf\/timestamp\.proto/);
  const [healthFile] = index.fileWithDependencies('grpc/health/v1/health.proto')!;
  // What proto-loader based reflection serves: the implicit entry under another name.
  const misnamed = Buffer.from(healthFile!).toString('latin1').replaceAll('StatusesEntry', 'StatusesEntrX');
  assert.throws(() => loadReflectedFiles([Buffer.from(misnamed, 'latin1')]), /incorrect implicit map entry name/);
});

test.run();
