import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDatabase } from '../src/embedded/databases.ts';
import { startEmbeddedPostgres } from '../src/embedded/start-embedded-postgres.ts';
import { jobSpec } from './support/fixtures.ts';
import { createPersistenceClients } from './support/start-test-persistence.ts';
import { spawnPersistence } from './support/spawn-persistence.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('Postgres stopped under a running persistence: calls get UNAVAILABLE; once it is back they succeed without a restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-restart-'));
  let postgres = await withDeadline(startEmbeddedPostgres({ dataDir, fast: true, onLog: () => {} }), 60_000, 'start postgres');
  const port = postgres.port;
  await createDatabase(postgres.url, 'restart_test');
  const url = postgres.url.replace(/\/postgres$/, '/restart_test');
  const persistence = spawnPersistence({ DATABASE_URL: url });
  try {
    const address = `127.0.0.1:${await withDeadline(persistence.serving, 60_000, 'persistence serving')}`;
    // No retries here, so the test sees each outcome as it is.
    const clients = createPersistenceClients(address, { maxAttempts: 1, deadlineMs: 5000 });
    const spec = jobSpec();
    await clients.jobs.createJob({ spec, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
    const follower = (async () => {
      const seqs: number[] = [];
      for await (const m of createPersistenceClients(address).logs.followLog({ requestId: spec.requestId, fromSeq: 0 })) seqs.push(...m.chunks.map((c) => c.seq));
      return seqs;
    })();

    await withDeadline(postgres.stop(), 30_000, 'stop postgres');
    await expectStatus(clients.jobs.getJob({ requestId: spec.requestId }), status.UNAVAILABLE, { reason: 'DATABASE_UNAVAILABLE' });
    await expectStatus(clients.jobs.createJob({ spec: jobSpec(), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' }), status.UNAVAILABLE);

    postgres = await withDeadline(startEmbeddedPostgres({ dataDir, port, fast: true, onLog: () => {} }), 60_000, 'restart postgres');
    let job;
    for (let attempt = 0; attempt < 50 && !job; attempt++) {
      job = await clients.jobs.getJob({ requestId: spec.requestId }).then((r) => r.job, () => undefined);
      if (!job) await sleep(200);
    }
    assert.ok(job, 'GetJob succeeds again after Postgres returned');
    assert.is(job!.spec!.requestId, spec.requestId);
    // Writes work, and the live follower (its LISTEN connection re-established) still sees new chunks.
    await clients.logs.appendLogChunks({ chunks: [{ requestId: spec.requestId, seq: 0, stream: 1, data: Buffer.from('after restart'), createdAt: undefined }] });
    await clients.jobs.transitionJob({ requestId: spec.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_SUCCEEDED, message: '', error: '' });
    assert.equal(await withDeadline(follower, 15_000, 'follower ends'), [0]);
    for (const client of Object.values(clients)) client.close();
  } finally {
    persistence.child.kill('SIGTERM');
    await withDeadline(persistence.exited, 20_000, 'persistence exit').catch(() => persistence.child.kill('SIGKILL'));
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
