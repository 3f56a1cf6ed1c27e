import { randomUUID } from 'node:crypto';
import { StepStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGroupWriter } from '../src/workflows/create-group-writer.ts';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence: concurrent checkpoints share statements and still fence one by one');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (n: number, name: string, extra: { startedAt?: Date } = {}) => ({
  stepNumber: n, name, status: StepStatus.STEP_STATUS_SUCCEEDED, outputJson: JSON.stringify({ n, name }), errorJson: '', attempts: 1,
  startedAt: extra.startedAt ?? new Date(), finishedAt: new Date(),
});
const codeOf = (result: PromiseSettledResult<unknown>) => {
  if (result.status === 'fulfilled') return 'ok';
  const error = result.reason as unknown;
  return isMeshError(error) ? `${error.code}/${error.reason}` : String(error);
};

test('a burst of checkpoints: stale tokens get LEASE_LOST, unknown workflows NOT_FOUND, the rest are recorded, in shared transactions', async ({ p }) => {
  const name = `wf.batch.${randomUUID()}`;
  const count = 24;
  for (let i = 0; i < count; i++) {
    await p.clients.workflows.createWorkflow({ id: randomUUID(), name, inputJson: '{}', parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0 });
  }
  // Every workflow claimed with a short lease, then claimed again: token 1 is stale, token 2 holds.
  const first = (await p.clients.workflows.claimWorkflows({ owner: 'old', leaseMs: 100, limit: 100, names: [name] })).workflows;
  assert.is(first.length, count);
  await sleep(250);
  const current = (await p.clients.workflows.claimWorkflows({ owner: 'new', leaseMs: 60_000, limit: 100, names: [name] })).workflows;
  assert.is(current.length, count);
  assert.ok(current.every((w) => w.fencingToken === 2));

  // Interleaved: the holder's checkpoint of step 0, and the stale holder's of step 1, for every workflow.
  const calls: { kind: 'fresh' | 'stale' | 'missing'; id: string; call: Promise<unknown> }[] = [];
  for (const w of current) {
    calls.push({ kind: 'fresh', id: w.id, call: p.clients.workflows.recordWorkflowStep({ workflowId: w.id, fencingToken: 2, step: step(0, 'fresh') }) });
    calls.push({ kind: 'stale', id: w.id, call: p.clients.workflows.recordWorkflowStep({ workflowId: w.id, fencingToken: 1, step: step(1, 'stale') }) });
  }
  for (let i = 0; i < 4; i++) {
    const id = randomUUID();
    calls.push({ kind: 'missing', id, call: p.clients.workflows.recordWorkflowStep({ workflowId: id, fencingToken: 1, step: step(0, 'missing') }) });
  }
  const results = await Promise.allSettled(calls.map((c) => c.call));
  calls.forEach((c, i) => {
    const code = codeOf(results[i]!);
    const expected = c.kind === 'fresh' ? 'ok' : c.kind === 'stale' ? `${status.FAILED_PRECONDITION}/LEASE_LOST` : `${status.NOT_FOUND}/WORKFLOW_NOT_FOUND`;
    assert.is(code, expected, `${c.kind} checkpoint of ${c.id}`);
    if (c.kind === 'fresh') assert.is((results[i] as PromiseFulfilledResult<{ recorded: boolean }>).value.recorded, true);
  });
  const stale = results.find((r, i) => calls[i]!.kind === 'stale') as PromiseRejectedResult;
  assert.is((stale.reason as { facts?: Record<string, string> }).facts?.fencing_token, '2', 'LEASE_LOST names the current token');

  const db = new pg.Client({ connectionString: p.database.url });
  await db.connect();
  try {
    const ids = current.map((w) => w.id);
    const { rows } = await db.query<{ workflow_id: string; step_number: number; name: string; tx: string }>(
      'SELECT workflow_id, step_number, name, xmin::text AS tx FROM workflow_steps WHERE workflow_id = ANY($1::uuid[])', [ids]);
    assert.is(rows.length, count, 'one row per workflow: the fresh step 0, no stale step 1');
    assert.ok(rows.every((r) => r.step_number === 0 && r.name === 'fresh'));
    // Rows written by one statement share its transaction id.
    const transactions = new Set(rows.map((r) => r.tx)).size;
    assert.ok(transactions < count, `${count} concurrent checkpoints were written in ${transactions} transactions: some were batched`);
  } finally {
    await db.end();
  }
});

test('concurrent retries of one checkpoint: exactly one records it, the others get it back; another name is NONDETERMINISM', async ({ p }) => {
  const name = `wf.batch-dup.${randomUUID()}`;
  await p.clients.workflows.createWorkflow({ id: randomUUID(), name, inputJson: '{}', parentId: '', jobRequestId: '', scheduledAt: undefined, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0 });
  const [w] = (await p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 60_000, limit: 1, names: [name] })).workflows;
  const same = step(0, 'vm.prepare');
  const results = await Promise.allSettled([
    ...Array.from({ length: 8 }, () => p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: same })),
    // Other workflows' checkpoints in the same burst, so the retries land in shared batches.
    ...Array.from({ length: 8 }, (_, i) => p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: step(i + 1, `s${i + 1}`) })),
  ]);
  const retries = results.slice(0, 8).map((r) => (r as PromiseFulfilledResult<{ recorded: boolean; step: { name: string; outputJson: string } }>).value);
  assert.ok(results.every((r) => r.status === 'fulfilled'), results.map(codeOf).join(', '));
  assert.is(retries.filter((r) => r.recorded).length, 1, 'exactly one retry recorded the step');
  assert.ok(retries.every((r) => r.step.name === 'vm.prepare' && JSON.parse(r.step.outputJson).name === 'vm.prepare'));
  const other = await Promise.allSettled([p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: step(0, 'vm.start') })]);
  assert.is(codeOf(other[0]!), `${status.FAILED_PRECONDITION}/NONDETERMINISM`);
  const { steps } = await p.clients.workflows.getWorkflow({ id: w!.id });
  assert.equal(steps.map((s) => s.stepNumber), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

test('group writer: concurrent items share batches, one key per batch, and a failing batch fails only its bad item', async () => {
  const batches: number[][] = [];
  const writer = createGroupWriter(async (items: number[]) => {
    batches.push(items);
    await sleep(20);
    if (items.includes(13)) throw new Error('13 is refused');
    return items.map((i) => i * 10);
  }, { maxBatch: 4, maxInFlight: 1, keyOf: (i) => String(i % 100) });
  const items = [1, 2, 3, 4, 5, 6, 13, 7, 102, 8];
  const results = await Promise.allSettled(items.map((i) => writer.submit(i)));
  results.forEach((r, index) => {
    if (items[index] === 13) assert.is(r.status, 'rejected');
    else assert.equal(r, { status: 'fulfilled', value: items[index]! * 10 });
  });
  assert.equal(batches[0], [1], 'the first item goes out at once, alone');
  assert.ok(batches.slice(1).some((b) => b.length > 1), 'items arriving during a write share the next batch');
  assert.ok(batches.every((b) => b.length <= 4));
  assert.ok(batches.every((b) => !(b.includes(2) && b.includes(102))), 'same key, different batches');
  assert.ok(batches.some((b) => b.length === 1 && b[0] === 13), 'the failed batch was retried item by item');

  // A failure no item caused (the database is down) fails the whole batch at once, without retries.
  let writes = 0;
  const down = createGroupWriter(async () => {
    writes++;
    await sleep(20);
    throw new Error('database unreachable');
  }, { maxBatch: 10, maxInFlight: 1, keyOf: String, retryAlone: () => false });
  const failed = await Promise.allSettled([1, 2, 3, 4].map((i) => down.submit(i)));
  assert.ok(failed.every((r) => r.status === 'rejected'));
  assert.is(writes, 2, 'the first item alone, then the other three together; no retries');
});

test.run();
