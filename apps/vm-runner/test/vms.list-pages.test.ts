import { randomUUID } from 'node:crypto';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import type { ListVmsRequest } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

// ListVms answers a page at a time (a host's list grows with its history), with filters by job
// and by Prepare key, so the orchestrator never lists every VM to find one job's.
const test = suite<{ r: TestVmRunner }>('vm-runner ListVms pages');
test.before(async (ctx) => {
  ctx.r = await withDeadline(startTestVmRunner({
    persistenceAddress: '127.0.0.1:1',
    catalog: { labels: [{ name: 'local', aliases: [], backend: 'process', slots: 20 }] },
  }), 20_000, 'start vm-runner');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
});

const list = (r: TestVmRunner, request: Partial<ListVmsRequest>) =>
  r.client.listVms({ states: [], jobRequestId: '', key: '', pageSize: 0, pageToken: '', ...request });

test('pages of page_size, oldest first, every VM once; filters by job, key and state; bad paging is INVALID_ARGUMENT', async ({ r }) => {
  const job = randomUUID();
  const made: string[] = [];
  for (let i = 0; i < 7; i++) {
    const { vm } = await r.client.prepare(prepareRequest({ jobRequestId: i < 2 ? job : randomUUID() }));
    made.push(vm!.id);
  }
  const seen: string[] = [];
  const sizes: number[] = [];
  let pageToken = '';
  do {
    const page = await list(r, { pageSize: 3, pageToken });
    sizes.push(page.vms.length);
    seen.push(...page.vms.map((vm) => vm.id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(sizes, [3, 3, 1]);
  assert.equal(seen, made, 'every VM once, in the order they were made');

  const ofJob = await list(r, { jobRequestId: job });
  assert.equal(ofJob.vms.map((vm) => vm.id), made.slice(0, 2));
  assert.is(ofJob.nextPageToken, '');
  const byKey = await list(r, { key: (await r.client.getVm({ vmId: made[4]! })).vm!.key });
  assert.equal(byKey.vms.map((vm) => vm.id), [made[4]]);
  await r.client.destroy({ vmId: made[0]! });
  assert.is((await list(r, { states: [VmState.VM_STATE_PREPARED] })).vms.length, 6);

  await expectStatus(list(r, { pageSize: 1001 }), status.INVALID_ARGUMENT);
  await expectStatus(list(r, { pageToken: 'not-a-token' }), status.INVALID_ARGUMENT);
});

test.run();
