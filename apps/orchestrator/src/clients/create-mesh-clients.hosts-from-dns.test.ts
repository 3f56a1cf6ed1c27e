import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isMeshError, status } from '@jobmesh/grpc-kit';
import { createMeshClients } from './create-mesh-clients.ts';

test('VM hosts from DNS: each address is a host (vm-runner + fsops on it); new ones join, gone ones leave, a failed lookup changes nothing', async () => {
  let answer: string[] | Error = [];
  const clients = createMeshClients({ persistenceAddress: '127.0.0.1:1', vmRunnerAddresses: [], fsopsAddresses: [], vmHostsDns: { name: 'vm-host', vmRunnerPort: 50053, fsopsPort: 50054 } },
    async (name) => {
      assert.is(name, 'vm-host');
      if (answer instanceof Error) throw answer;
      return answer;
    });
  try {
    assert.equal(await clients.refreshHosts(), []);
    assert.throws(() => clients.fsops, (e: unknown) => isMeshError(e, status.UNAVAILABLE, 'NO_VM_HOST'));
    answer = ['10.0.0.1', '10.0.0.2'];
    assert.equal((await clients.refreshHosts()).sort(), ['10.0.0.1:50053', '10.0.0.2:50053']);
    assert.ok(clients.fsopsFor('10.0.0.2:50053') === clients.fsopsHosts.get('10.0.0.2:50054'), 'a vm-runner pairs with the fsops on its own address');
    assert.equal(clients.sameHostRunners('10.0.0.1:50053'), ['10.0.0.1:50053']);
    answer = new Error('SERVFAIL');
    assert.equal((await clients.refreshHosts()).sort(), ['10.0.0.1:50053', '10.0.0.2:50053'], 'a failed lookup keeps the hosts');
    answer = ['10.0.0.2', '10.0.0.3'];
    assert.equal((await clients.refreshHosts()).sort(), ['10.0.0.2:50053', '10.0.0.3:50053']);
    assert.equal([...clients.fsopsHosts.keys()].sort(), ['10.0.0.2:50054', '10.0.0.3:50054']);
    // A job pinned to the host that left keeps talking to that host (and fails HOST_LOST), never to another.
    assert.ok(clients.vmRunnerAt('10.0.0.1:50053') !== clients.vmRunners.get('10.0.0.2:50053'));
    assert.ok(clients.fsopsFor('10.0.0.1:50053') !== clients.fsopsHosts.get('10.0.0.2:50054'));
    assert.ok(clients.vmRunnerAt('10.0.0.1:50053') === clients.vmRunnerAt('10.0.0.1:50053'), 'one client per departed host');
  } finally {
    clients.close();
  }
});

test('fixed lists: hosts pair by position; one fsops serves every vm-runner', () => {
  const paired = createMeshClients({ persistenceAddress: '127.0.0.1:1', vmRunnerAddresses: ['127.0.0.1:11', '127.0.0.1:12'], fsopsAddresses: ['127.0.0.1:21', '127.0.0.1:22'] });
  const shared = createMeshClients({ persistenceAddress: '127.0.0.1:1', vmRunnerAddresses: ['127.0.0.1:11', '127.0.0.1:12'], fsopsAddresses: ['127.0.0.1:21'] });
  try {
    assert.ok(paired.fsopsFor('127.0.0.1:12') === paired.fsopsHosts.get('127.0.0.1:22'));
    assert.equal(paired.sameHostRunners('127.0.0.1:11'), ['127.0.0.1:11']);
    assert.equal(shared.sameHostRunners('127.0.0.1:11'), ['127.0.0.1:11', '127.0.0.1:12']);
    assert.ok(shared.vmRunnerAt('') === shared.vmRunners.get('127.0.0.1:11'), 'a workflow recorded before placement gets the first');
  } finally {
    paired.close();
    shared.close();
  }
});

test.run();
