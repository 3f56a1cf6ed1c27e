import { createReflectionClient, withDeadline, type ReflectionClient } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fsopsServiceName } from '../src/server.ts';
import { startTestFsops, type TestFsops } from './support/index.ts';

const test = suite<{ f: TestFsops; reflection: ReflectionClient }>('fsops through server reflection only');
test.before(async (ctx) => {
  ctx.f = await withDeadline(startTestFsops(), 30_000, 'start fsops');
  ctx.reflection = createReflectionClient(ctx.f.address);
});
test.after(async (ctx) => {
  ctx.reflection?.close();
  await ctx.f?.stop();
});

test('lists FsopsService, health and reflection; describes every method and message with comments', async ({ reflection }) => {
  const services = await withDeadline(reflection.listServices(), 5000, 'list');
  for (const name of [fsopsServiceName, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']) assert.ok(services.includes(name), `${name} is listed`);
  const described = await withDeadline(reflection.describe(fsopsServiceName), 5000, 'describe');
  assert.ok(described.leadingComment && described.leadingComment.includes('PATH_OUTSIDE_ROOT'));
  const service = described.descriptor as unknown as { methods: { name: string; input: { typeName: string }; output: { typeName: string } }[] };
  assert.equal(service.methods.map((m) => m.name).sort(), ['CollectArtifacts', 'List', 'PrepareWorkspace', 'PruneArtifacts', 'PruneMirrors', 'ReadFile', 'ReadRepositoryFile', 'Remove', 'Stat', 'Transfer']);
  for (const method of service.methods) {
    for (const type of [method.input.typeName, method.output.typeName]) {
      assert.is((await withDeadline(reflection.describe(type), 5000, `describe ${type}`)).descriptor.kind, 'message');
    }
  }
});

test.run();
