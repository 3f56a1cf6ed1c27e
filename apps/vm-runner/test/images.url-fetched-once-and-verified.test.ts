import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { VmState } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { eventually, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

type Ctx = { p: TestPersistence; r: TestVmRunner; dir: string; sha: string };
const test = suite<Ctx>('a cloud image named by URL + sha256 is fetched once into the cache and verified; a wrong sha256 makes its label unavailable');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.dir = await mkdtemp(join(tmpdir(), 'jobmesh-url-image-'));
  const disk = join(ctx.dir, 'cloud.img');
  execFileSync('qemu-img', ['create', '-q', '-f', 'raw', disk, '4M']);
  ctx.sha = createHash('sha256').update(await readFile(disk)).digest('hex');
  const url = pathToFileURL(disk).href;
  const label = (name: string, sha256: string) => ({ name, aliases: [], backend: 'qemu' as const, slots: 1, memoryMb: 256, cpus: 1, image: { cloudInit: true as const, disk: { url, sha256 } } });
  ctx.r = await withDeadline(startTestVmRunner({
    persistenceAddress: ctx.p.address,
    catalog: { labels: [label('good', ctx.sha), label('good-too', ctx.sha), label('bad', '0'.repeat(64))] },
    env: { JOBMESH_VMRUNNER_IMAGE_CACHE_DIR: join(ctx.dir, 'cache') },
  }), 60_000, 'start vm-runner');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('the good labels share one verified copy; the bad one says why and refuses Prepare at once', async ({ r, dir, sha }) => {
  const cached = join(dir, 'cache', 'downloads', sha);
  const reasons = async () => Object.fromEntries((await r.client.capacity({})).labels.map((l) => [l.label, l.unavailableReason]));
  assert.ok(await eventually(async () => (await reasons()).bad !== '' && existsSync(cached), 20_000), 'the fetch and the check ran at start-up');
  const now = await reasons();
  assert.match(now.bad!, /fails its checksum: .*has sha256 [0-9a-f]{64}, not the 0{64}/);
  assert.equal([now.good, now['good-too']], ['', '']);
  const fetchedAt = (await stat(cached)).mtimeMs;
  await expectStatus(r.client.prepare(prepareRequest({ runsOn: 'bad' })), status.FAILED_PRECONDITION, { reason: 'LABEL_UNAVAILABLE' });
  for (const runsOn of ['good', 'good-too']) {
    const { vm } = await withDeadline(r.client.prepare(prepareRequest({ runsOn })), 30_000, `prepare ${runsOn}`);
    assert.is(vm!.state, VmState.VM_STATE_PREPARED);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', vm!.overlayPath]).toString()) as { 'backing-filename': string; 'backing-filename-format': string };
    assert.equal([info['backing-filename'], info['backing-filename-format']], [cached, 'raw'], 'overlay on the cached copy, its format detected');
    await r.client.destroy({ vmId: vm!.id });
  }
  assert.is((await stat(cached)).mtimeMs, fetchedAt, 'fetched once');
});

test.run();
