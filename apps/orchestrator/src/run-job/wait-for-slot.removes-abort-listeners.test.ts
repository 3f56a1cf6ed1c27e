import { getEventListeners } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { waitForSlot } from './wait-for-slot.ts';

/** Clients whose queue puts the job behind `aheadFor` polls' worth of jobs, then first in line. */
function fakeClients(aheadFor: number) {
  let polls = 0;
  const capacity = async () => ({ host: 'h', labels: [{ label: 'local', aliases: [], backend: 1, slotsTotal: 1, slotsInUse: 0, memoryMb: 0, cpus: 0, unavailableReason: '', accelerator: '', acceleratorReason: '' }] });
  return {
    jobs: { getQueuePosition: async () => ({ jobsAhead: polls++ < aheadFor ? 5 : 0, state: 1 }) },
    vmRunners: new Map([['127.0.0.1:1', { capacity }]]),
  } as unknown as MeshClients;
}

test('a job that waits many rounds for its slot leaves no abort listener on its signal', async () => {
  const signal = new AbortController().signal;
  const slot = await waitForSlot(fakeClients(300), '00000000-0000-4000-8000-000000000001', 'local', signal, 0, 0);
  assert.is(slot.runner, '127.0.0.1:1');
  assert.is(getEventListeners(signal, 'abort').length, 0);
});

test.run();
