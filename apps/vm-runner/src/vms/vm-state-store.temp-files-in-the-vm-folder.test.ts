import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { VmRecord } from './vm-record.ts';
import { createVmStateStore } from './vm-state-store.ts';

const record = (id: string, state: VmRecord['state'], vmDir: string): VmRecord => ({
  id, key: `key-${id}`, label: 'process', backend: 'process', state, domainName: '', jobRequestId: '', vmDir, overlayPath: '', seedPath: '', runDir: '',
  pid: 0, pidStartTicks: 0, accelerator: '', message: '', createdAt: new Date(0).toISOString(), updatedAt: new Date().toISOString(),
});

test('records land under their final names with or without the VM folder, and no temporary file stays anywhere', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'jobmesh-vm-store-'));
  try {
    const store = await createVmStateStore(stateDir);
    const id = '6f0c6a3e-1b7d-5c2e-9f4a-0d1e2f3a4b5c';
    // Before Prepare made the VM's folder: the temporary file goes next to the records.
    await store.save(record(id, 'PREPARING', store.dirOf(id)));
    // With the folder (its temporary file is made there, then renamed into the records folder).
    await mkdir(store.dirOf(id), { recursive: true });
    await store.save(record(id, 'PREPARED', store.dirOf(id)));
    await store.save(record(id, 'READY', store.dirOf(id)));
    assert.equal(await readdir(store.dirOf(id)), [], 'nothing left in the VM folder');
    // After Destroy removed the folder.
    await rm(store.dirOf(id), { recursive: true });
    await store.save(record(id, 'DESTROYED', store.dirOf(id)));
    assert.equal((await readdir(store.vmsDir)).sort(), [`${id}.json`], 'one record, no temporary file');
    const loaded = await store.loadAll((file, error) => assert.unreachable(`${file}: ${String(error)}`));
    assert.equal(loaded.map((r) => [r.id, r.state]), [[id, 'DESTROYED']]);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});

test.run();
