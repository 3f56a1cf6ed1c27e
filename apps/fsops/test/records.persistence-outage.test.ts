import { HealthCheckResponse_ServingStatus, HealthService } from '@jobmesh/contracts/grpc/health/v1/health.ts';
import { FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { persistenceHealthName } from '../src/start-fsops.ts';
import { runTransferCall, startTestFsops, transferRequest, writeTree, type TestFsops } from './support/index.ts';

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const test = suite<{ p?: TestPersistence; f?: TestFsops }>('fsops with persistence down');
test.after(async (ctx) => {
  await ctx.f?.stop();
  await ctx.p?.stop();
});

test('file work goes on while persistence is down; health says degraded; the buffered records arrive once it is back', async (ctx) => {
  const persistenceAddress = `127.0.0.1:${await freePort()}`;
  const f = (ctx.f = await withDeadline(startTestFsops({ persistenceAddress }), 20_000, 'start fsops'));
  const health = createClient(HealthService, f.address);
  const dependency = async () => (await health.check({ service: persistenceHealthName })).status;

  await writeTree(f.roots.workspace, { 'out/a.txt': 'still works' });
  const key = `outage/${randomUUID()}`;
  const destination = join(f.roots.artifacts, 'a.txt');
  const { result } = await runTransferCall(f.client, transferRequest({ key, source: join(f.roots.workspace, 'out/a.txt'), destination, mode: TransferMode.TRANSFER_MODE_COPY }));
  assert.is(result.files.length, 1);
  assert.is(await readFile(destination, 'utf8'), 'still works');
  assert.ok(await eventually(async () => (await dependency()) === HealthCheckResponse_ServingStatus.NOT_SERVING), 'degraded while persistence is down');
  assert.is((await health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING, 'fsops itself still serves');

  ctx.p = await withDeadline(startTestPersistence({ env: { JOBMESH_PERSISTENCE_ADDR: persistenceAddress } }), 60_000, 'start persistence');
  assert.ok(await eventually(async () => (await dependency()) === HealthCheckResponse_ServingStatus.SERVING, 20_000), 'serving again');
  const p = ctx.p;
  assert.ok(await eventually(async () => (await p.clients.fsJobs.getFsJob({ id: key })).fsJob?.state === FsJobState.FS_JOB_STATE_COMPLETED), 'the buffered records arrived, in order');
  const row = (await p.clients.fsJobs.getFsJob({ id: key })).fsJob!;
  assert.is(row.attempt, 1);
  assert.is(row.manifestSha256, result.manifestSha256);
  health.close();
});

test.run();
