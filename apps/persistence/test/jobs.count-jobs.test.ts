import { JobState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jobSpec, startTestPersistence, type TestPersistence } from './support/index.ts';

// CountJobs: the orchestrator's queue gate counts the queue with one query instead of paging rows.
const test = suite<{ p: TestPersistence }>('persistence CountJobs');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
});
test.after(async (ctx) => ctx.p?.stop());

test('counts by state and label, stops at the limit, refuses bad input naming the field', async ({ p }) => {
  const jobs = p.clients.jobs;
  for (let i = 0; i < 5; i++) await jobs.createJob({ spec: jobSpec({ runsOn: 'count-a' }), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  for (let i = 0; i < 2; i++) await jobs.createJob({ spec: jobSpec({ runsOn: 'count-b' }), workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  const moved = jobSpec({ runsOn: 'count-a' });
  await jobs.createJob({ spec: moved, workflowId: '', traceId: '', pipelineId: '', pipelineJobKey: '' });
  await jobs.transitionJob({ requestId: moved.requestId, expectedState: JobState.JOB_STATE_QUEUED, newState: JobState.JOB_STATE_PREPARING, message: 'slot', error: '' });

  const queued = [JobState.JOB_STATE_QUEUED];
  assert.is((await jobs.countJobs({ states: queued, runsOn: 'count-a', limit: 0 })).count, 5);
  assert.is((await jobs.countJobs({ states: queued, runsOn: 'count-b', limit: 0 })).count, 2);
  assert.is((await jobs.countJobs({ states: [], runsOn: 'count-a', limit: 0 })).count, 6);
  assert.is((await jobs.countJobs({ states: [JobState.JOB_STATE_PREPARING, JobState.JOB_STATE_RUNNING], runsOn: 'count-a', limit: 0 })).count, 1);
  assert.is((await jobs.countJobs({ states: queued, runsOn: 'count-a', limit: 3 })).count, 3, 'counting stops at the limit');
  assert.ok((await jobs.countJobs({ states: queued, runsOn: '', limit: 0 })).count >= 7);

  await expectStatus(jobs.countJobs({ states: [99 as JobState], runsOn: '', limit: 0 }), status.INVALID_ARGUMENT, { field: 'states[0]' });
  await expectStatus(jobs.countJobs({ states: [], runsOn: '', limit: -1 }), status.INVALID_ARGUMENT, { field: 'limit' });
  await expectStatus(jobs.countJobs({ states: [], runsOn: '', limit: 1_000_001 }), status.INVALID_ARGUMENT, { field: 'limit' });
});

test.run();
