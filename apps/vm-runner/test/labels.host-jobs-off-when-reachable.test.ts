import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CatalogFile } from '../src/catalog/catalog-schema.ts';
import { prepareRequest, spawnVmRunner, writeCatalog } from './support/index.ts';

// Process labels run jobs on the host without isolation: off when vm-runner listens where other
// machines reach it, unless JOBMESH_ALLOW_HOST_JOBS=1 or the label says `allowHostJobs`.
const catalog: CatalogFile = {
  labels: [
    { name: 'local', aliases: ['process'], backend: 'process', slots: 1 },
    { name: 'trusted', aliases: [], backend: 'process', slots: 1, allowHostJobs: true },
  ],
};
const test = suite<{ dir: string; catalogPath: string }>('host jobs (process labels) are off wherever vm-runner is reachable, unless allowed');
test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-host-jobs-'));
  ctx.catalogPath = await writeCatalog(catalog, ctx.dir);
});
test.after(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

/** Capacity's reason per label of a vm-runner started with `env`, and `check` run against it. */
async function withRunner(ctx: { dir: string; catalogPath: string }, name: string, env: Record<string, string>, check: (client: ReturnType<typeof createClient<typeof VmRunnerServiceService>>, reasons: Record<string, string>) => Promise<void>) {
  const runner = spawnVmRunner({
    // Persistence is not needed here: VM events wait in the record buffer.
    JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_VMRUNNER_STATE_DIR: join(ctx.dir, name), JOBMESH_VMRUNNER_OUTPUT_ROOT: join(ctx.dir, name, 'outputs'),
    JOBMESH_VMRUNNER_CATALOG: ctx.catalogPath, JOBMESH_SHUTDOWN_GRACE_MS: '500', ...env,
  });
  try {
    const port = await withDeadline(runner.serving, 60_000, `${name} vm-runner serving`);
    const client = createClient(VmRunnerServiceService, `127.0.0.1:${port}`, { deadlineMs: 10_000, maxAttempts: 1 });
    try {
      const { labels } = await withDeadline(client.capacity({}), 15_000, 'capacity');
      await check(client, Object.fromEntries(labels.map((l) => [l.label, l.unavailableReason])));
    } finally {
      client.close();
    }
  } finally {
    runner.child.kill('SIGTERM');
    await withDeadline(runner.exited, 20_000, `${name} vm-runner stops`);
  }
}

test('on 0.0.0.0: the process label is unavailable, naming JOBMESH_ALLOW_HOST_JOBS; Prepare is LABEL_UNAVAILABLE; a label with allowHostJobs runs', async (ctx) => {
  await withRunner(ctx, 'reachable', { JOBMESH_VMRUNNER_ADDR: '0.0.0.0:0' }, async (client, reasons) => {
    assert.match(reasons.local!, /host jobs .* are off: this vm-runner listens on 0\.0\.0\.0:0.*JOBMESH_ALLOW_HOST_JOBS=1/);
    assert.is(reasons.trusted, '');
    await expectStatus(withDeadline(client.prepare(prepareRequest({ runsOn: 'process' })), 15_000, 'prepare local'), status.FAILED_PRECONDITION, { reason: 'LABEL_UNAVAILABLE' });
    const { vm } = await withDeadline(client.prepare(prepareRequest({ runsOn: 'trusted' })), 15_000, 'prepare trusted');
    await withDeadline(client.destroy({ vmId: vm!.id }), 15_000, 'destroy');
  });
});

test('on 0.0.0.0 with JOBMESH_ALLOW_HOST_JOBS=1: available', async (ctx) => {
  await withRunner(ctx, 'allowed', { JOBMESH_VMRUNNER_ADDR: '0.0.0.0:0', JOBMESH_ALLOW_HOST_JOBS: '1' }, async (_client, reasons) => {
    assert.equal(reasons, { local: '', trusted: '' });
  });
});

test('on loopback: available (npm start, the tests); JOBMESH_ALLOW_HOST_JOBS=0 turns every process label off', async (ctx) => {
  await withRunner(ctx, 'loopback', { JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0' }, async (_client, reasons) => {
    assert.equal(reasons, { local: '', trusted: '' });
  });
  await withRunner(ctx, 'never', { JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', JOBMESH_ALLOW_HOST_JOBS: '0' }, async (_client, reasons) => {
    assert.match(reasons.local!, /JOBMESH_ALLOW_HOST_JOBS=0/);
    assert.match(reasons.trusted!, /JOBMESH_ALLOW_HOST_JOBS=0/);
  });
});

test.run();
