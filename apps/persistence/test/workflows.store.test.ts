import { randomUUID } from 'node:crypto';
import { StepStatus, WorkflowStatus } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPersistence, type TestPersistence } from './support/index.ts';

const test = suite<{ p: TestPersistence }>('persistence workflows');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const create = (p: TestPersistence, name: string, extra: { id?: string; parentId?: string; inputJson?: string; scheduledAt?: Date } = {}) =>
  p.clients.workflows.createWorkflow({ id: extra.id ?? randomUUID(), name, inputJson: extra.inputJson ?? '{"n":1}', parentId: extra.parentId ?? '', jobRequestId: '', scheduledAt: extra.scheduledAt, deadlineAt: undefined, claimOwner: '', claimLeaseMs: 0 });
const claim = (p: TestPersistence, name: string, owner: string, leaseMs = 60_000) =>
  p.clients.workflows.claimWorkflows({ owner, leaseMs, limit: 10, names: [name] });
const step = (n: number, name: string, output: unknown = { n }) => ({
  stepNumber: n, name, status: StepStatus.STEP_STATUS_SUCCEEDED, outputJson: JSON.stringify(output), errorJson: '', attempts: 1, startedAt: new Date(), finishedAt: new Date(),
});

test('CreateWorkflow is idempotent by id; another input under the same id is ALREADY_EXISTS', async ({ p }) => {
  const id = randomUUID();
  const name = `wf.create.${randomUUID()}`;
  const first = await create(p, name, { id });
  assert.is(first.created, true);
  assert.is(first.workflow!.status, WorkflowStatus.WORKFLOW_STATUS_PENDING);
  assert.equal(JSON.parse(first.workflow!.inputJson), { n: 1 });
  const again = await create(p, name, { id, inputJson: '{ "n" : 1 }' });
  assert.is(again.created, false);
  await expectStatus(create(p, name, { id, inputJson: '{"n":2}' }), status.ALREADY_EXISTS, { reason: 'WORKFLOW_CONFLICT' });
  await expectStatus(create(p, name, { inputJson: '{nope' }), status.INVALID_ARGUMENT, { field: 'input_json' });
  await expectStatus(create(p, '', {}), status.INVALID_ARGUMENT, { field: 'name' });
  await expectStatus(create(p, name, { parentId: randomUUID() }), status.NOT_FOUND, { reason: 'WORKFLOW_NOT_FOUND' });
  const child = await create(p, name, { parentId: id });
  assert.is(child.workflow!.parentId, id);
});

test('a claim leases a workflow to one owner with a new fencing token; others get nothing until it expires', async ({ p }) => {
  const name = `wf.lease.${randomUUID()}`;
  const { workflow } = await create(p, name);
  const [claimed] = (await claim(p, name, 'orch-a', 300)).workflows;
  assert.is(claimed!.id, workflow!.id);
  assert.is(claimed!.status, WorkflowStatus.WORKFLOW_STATUS_RUNNING);
  assert.is(claimed!.fencingToken, 1);
  assert.is(claimed!.leaseOwner, 'orch-a');
  assert.is((await claim(p, name, 'orch-b')).workflows.length, 0);
  const beat = await p.clients.workflows.heartbeatWorkflow({ id: claimed!.id, owner: 'orch-a', fencingToken: 1, leaseMs: 300 });
  assert.ok(beat.workflow!.leaseExpiresAt!.getTime() >= claimed!.leaseExpiresAt!.getTime());
  await p.clients.workflows.recordWorkflowStep({ workflowId: claimed!.id, fencingToken: 1, step: step(0, 'vm.prepare') });
  await sleep(400);
  const [reclaimed] = (await claim(p, name, 'orch-b')).workflows;
  assert.is(reclaimed!.fencingToken, 2);
  assert.is(reclaimed!.claimCount, 2);
  // The old holder is fenced off: no heartbeat, no checkpoint, no completion.
  await expectStatus(p.clients.workflows.heartbeatWorkflow({ id: claimed!.id, owner: 'orch-a', fencingToken: 1, leaseMs: 1000 }), status.FAILED_PRECONDITION, { reason: 'LEASE_LOST' });
  await expectStatus(p.clients.workflows.recordWorkflowStep({ workflowId: claimed!.id, fencingToken: 1, step: step(1, 'vm.start') }), status.FAILED_PRECONDITION, { reason: 'LEASE_LOST' });
  await expectStatus(p.clients.workflows.completeWorkflow({ id: claimed!.id, fencingToken: 1, status: WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, outputJson: '1', error: '', finalSteps: [] }), status.FAILED_PRECONDITION, { reason: 'LEASE_LOST' });
  const { steps } = await p.clients.workflows.getWorkflow({ id: claimed!.id });
  assert.equal(steps.map((s) => s.name), ['vm.prepare']);
});

test('RecordWorkflowStep is idempotent per step number and refuses a different name (nondeterminism)', async ({ p }) => {
  const name = `wf.steps.${randomUUID()}`;
  await create(p, name);
  const [w] = (await claim(p, name, 'orch')).workflows;
  const first = await p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: step(0, 'fs.prepare-workspace', { path: '/ws/1' }) });
  assert.is(first.recorded, true);
  const again = await p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: step(0, 'fs.prepare-workspace', { path: '/other' }) });
  assert.is(again.recorded, false);
  assert.equal(JSON.parse(again.step!.outputJson), { path: '/ws/1' });
  await expectStatus(p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: step(0, 'vm.prepare') }), status.FAILED_PRECONDITION, { reason: 'NONDETERMINISM' });
  const failedStep = { ...step(1, 'vm.exec'), status: StepStatus.STEP_STATUS_FAILED, outputJson: '', errorJson: '{"code":14,"reason":"UNAVAILABLE"}', attempts: 3 };
  const failed = await p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: failedStep });
  assert.is(failed.step!.attempts, 3);
  assert.equal(JSON.parse(failed.step!.errorJson), { code: 14, reason: 'UNAVAILABLE' });
  await expectStatus(p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: undefined }), status.INVALID_ARGUMENT, { field: 'step' });
  await expectStatus(p.clients.workflows.recordWorkflowStep({ workflowId: w!.id, fencingToken: w!.fencingToken, step: { ...step(2, 'x'), status: 0 as StepStatus } }), status.INVALID_ARGUMENT, { field: 'step.status' });
  await expectStatus(p.clients.workflows.recordWorkflowStep({ workflowId: randomUUID(), fencingToken: 1, step: step(0, 'x') }), status.NOT_FOUND);
  const { steps } = await p.clients.workflows.getWorkflow({ id: w!.id });
  assert.equal(steps.map((s) => [s.stepNumber, s.status]), [[0, StepStatus.STEP_STATUS_SUCCEEDED], [1, StepStatus.STEP_STATUS_FAILED]]);
});

test('ReleaseWorkflow makes it claimable again at resume_at (a durable sleep)', async ({ p }) => {
  const name = `wf.release.${randomUUID()}`;
  await create(p, name);
  const [w] = (await claim(p, name, 'orch')).workflows;
  const released = await p.clients.workflows.releaseWorkflow({ id: w!.id, fencingToken: w!.fencingToken, resumeAt: new Date(Date.now() + 300), waitEventName: '', waitEventIndex: 0 });
  assert.is(released.workflow!.status, WorkflowStatus.WORKFLOW_STATUS_PENDING);
  assert.is((await claim(p, name, 'orch')).workflows.length, 0);
  await sleep(350);
  const [again] = (await claim(p, name, 'orch')).workflows;
  assert.is(again!.fencingToken, w!.fencingToken + 1);
});

test('CompleteWorkflow records the final status once; a retry with the same token gets the same answer', async ({ p }) => {
  const name = `wf.complete.${randomUUID()}`;
  await create(p, name);
  const [w] = (await claim(p, name, 'orch')).workflows;
  const req = { id: w!.id, fencingToken: w!.fencingToken, status: WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED, outputJson: '{"exit":0}', error: '', finalSteps: [] };
  const done = await p.clients.workflows.completeWorkflow(req);
  assert.is(done.workflow!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  assert.ok(done.workflow!.finishedAt);
  assert.is(done.workflow!.leaseOwner, '');
  assert.is((await p.clients.workflows.completeWorkflow(req)).workflow!.status, WorkflowStatus.WORKFLOW_STATUS_SUCCEEDED);
  await expectStatus(p.clients.workflows.completeWorkflow({ ...req, status: WorkflowStatus.WORKFLOW_STATUS_RUNNING }), status.INVALID_ARGUMENT, { field: 'status' });
  await expectStatus(p.clients.workflows.completeWorkflow({ ...req, status: WorkflowStatus.WORKFLOW_STATUS_FAILED }), status.FAILED_PRECONDITION, { reason: 'LEASE_LOST' });
  assert.is((await claim(p, name, 'orch')).workflows.length, 0);
});

test('RequestWorkflowCancel flags a workflow; its holder sees the flag at the next heartbeat', async ({ p }) => {
  const name = `wf.cancel.${randomUUID()}`;
  await create(p, name);
  const [w] = (await claim(p, name, 'orch')).workflows;
  const flagged = await p.clients.workflows.requestWorkflowCancel({ id: w!.id, reason: 'user asked' });
  assert.is(flagged.workflow!.cancelRequested, true);
  assert.is(flagged.workflow!.cancelReason, 'user asked');
  const beat = await p.clients.workflows.heartbeatWorkflow({ id: w!.id, owner: 'orch', fencingToken: w!.fencingToken, leaseMs: 1000 });
  assert.is(beat.workflow!.cancelRequested, true);
  await expectStatus(p.clients.workflows.requestWorkflowCancel({ id: randomUUID(), reason: '' }), status.NOT_FOUND);
});

test('ListWorkflows filters by status, name and parent and pages', async ({ p }) => {
  const name = `wf.list.${randomUUID()}`;
  const parent = (await create(p, name)).workflow!;
  for (let i = 0; i < 4; i++) await create(p, name, { parentId: parent.id });
  const children: string[] = [];
  let pageToken = '';
  do {
    const page = await p.clients.workflows.listWorkflows({ statuses: [WorkflowStatus.WORKFLOW_STATUS_PENDING], name, parentId: parent.id, pageSize: 3, pageToken });
    children.push(...page.workflows.map((w) => w.id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.is(new Set(children).size, 4);
  assert.is((await p.clients.workflows.listWorkflows({ statuses: [], name, parentId: '', pageSize: 0, pageToken: '' })).workflows.length, 5);
  await expectStatus(p.clients.workflows.listWorkflows({ statuses: [9 as never], name: '', parentId: '', pageSize: 0, pageToken: '' }), status.INVALID_ARGUMENT, { field: 'statuses[0]' });
  await expectStatus(p.clients.workflows.claimWorkflows({ owner: '', leaseMs: 1000, limit: 1, names: [] }), status.INVALID_ARGUMENT, { field: 'owner' });
  await expectStatus(p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 5, limit: 1, names: [] }), status.INVALID_ARGUMENT, { field: 'lease_ms' });
  await expectStatus(p.clients.workflows.claimWorkflows({ owner: 'o', leaseMs: 1000, limit: 0, names: [] }), status.INVALID_ARGUMENT, { field: 'limit' });
  await expectStatus(p.clients.workflows.getWorkflow({ id: randomUUID() }), status.NOT_FOUND, { reason: 'WORKFLOW_NOT_FOUND' });
});

test.run();
