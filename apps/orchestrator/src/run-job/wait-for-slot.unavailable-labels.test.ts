import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { waitForSlot } from './wait-for-slot.ts';

const label = (unavailableReason: string) => ({ label: 'qemu', aliases: [], backend: 2, slotsTotal: 1, slotsInUse: 0, memoryMb: 256, cpus: 1, unavailableReason, accelerator: 'tcg', acceleratorReason: '' });
/** vm-runners by address: a reason ('' = can run) or `away` (Capacity fails). */
function clients(runners: Record<string, string | 'away'>) {
  return {
    jobs: { getQueuePosition: async () => ({ jobsAhead: 0, state: 1 }) },
    vmRunners: new Map(Object.keys(runners).map((address) => [address, {
      capacity: async () => {
        if (runners[address] === 'away') throw new Error('UNAVAILABLE');
        return { host: address, labels: [label(runners[address]!)] };
      },
    }])),
  } as unknown as MeshClients;
}

test('every vm-runner answers that the label cannot run: FAILED_PRECONDITION with each reason', async () => {
  const signal = new AbortController().signal;
  const error = await waitForSlot(clients({ a: 'qemu-img not found', b: 'image missing' }), 'id', 'qemu', signal, 0, 0).catch((e: unknown) => e);
  assert.ok(isMeshError(error, status.FAILED_PRECONDITION, 'LABEL_UNAVAILABLE'));
  assert.match((error as Error).message, /a: qemu-img not found; b: image missing/);
});

test('one vm-runner is away: the job keeps waiting (that one may run it), and takes it when it is back', async () => {
  const runners: Record<string, string> = { a: 'qemu-img not found', b: 'away' };
  const signal = new AbortController().signal;
  setTimeout(() => (runners.b = ''), 50);
  const slot = await waitForSlot(clients(runners), 'id', 'qemu', signal, 5, 5);
  assert.is(slot.runner, 'b');
});

test.run();
