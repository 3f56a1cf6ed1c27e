import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { collectExec, prepareRequest, startTestVmRunner, type TestVmRunner } from './support/index.ts';

const test = suite<{ p: TestPersistence; r: TestVmRunner }>('vm-runner CollectOutputs on the process backend');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.r = await withDeadline(startTestVmRunner({ persistenceAddress: ctx.p.address }), 20_000, 'start vm-runner');
});
test.after(async (ctx) => {
  await ctx.r?.dispose();
  await ctx.p?.stop();
});

/** Prepares, starts and runs `script` in a process VM; @returns its id */
async function ranJob(r: TestVmRunner, script: string): Promise<string> {
  const { vm } = await r.client.prepare(prepareRequest({ runsOn: 'local', script }));
  await r.client.start({ vmId: vm!.id });
  await r.client.waitReady({ vmId: vm!.id, timeoutMs: 5000 });
  const run = await withDeadline(collectExec(r.client.exec({ vmId: vm!.id, timeoutMs: 20_000, killGraceMs: 0, rejoin: true })), 30_000, 'exec');
  assert.is(run.result?.exitCode, 0, run.stderr);
  return vm!.id;
}
const collect = (r: TestVmRunner, vmId: string, patterns: string[], caps: { maxFiles?: number; maxBytes?: number } = {}) =>
  r.client.collectOutputs({ vmId, patterns, maxFiles: caps.maxFiles ?? 0, maxBytes: caps.maxBytes ?? 0 });
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('stages exactly the selected files with size, sha256 and mode; a repeat answers from the record', async ({ r }) => {
  const id = await ranJob(r, 'mkdir -p out/sub .git; echo a > out/a.txt; head -c 100000 /dev/urandom > out/sub/b.bin; chmod 750 out/sub/b.bin; echo x > other.txt; echo g > out/.hidden; ln -s a.txt out/link; ln -s sub out/dirlink');
  const got = await withDeadline(collect(r, id, ['out/**', 'dist/*.tgz']), 20_000, 'collect');
  assert.is(got.stagedPath, join(r.stateDir, 'outputs', id));
  assert.equal(got.files.map((f) => f.path), ['out/.hidden', 'out/a.txt', 'out/link', 'out/sub/b.bin'], 'symlink to a file followed, to a folder skipped');
  assert.equal(got.unmatchedPatterns, ['dist/*.tgz']);
  for (const file of got.files) {
    const bytes = await readFile(join(got.stagedPath, file.path));
    assert.is(file.sizeBytes, bytes.length);
    assert.is(file.sha256, sha256(bytes), file.path);
  }
  assert.is(got.files.find((f) => f.path === 'out/sub/b.bin')!.mode, 0o750);
  assert.is(got.bytesTotal, got.files.reduce((s, f) => s + f.sizeBytes, 0));
  assert.is(got.repeated, false);
  assert.ok(!(await readdir(join(got.stagedPath, 'out'), { recursive: true })).some((n) => n.includes('.jm-part-')), 'no temporary names left');

  const again = await collect(r, id, ['out/**', 'dist/*.tgz']);
  assert.is(again.repeated, true);
  assert.equal(again.files, got.files);

  await r.client.destroy({ vmId: id });
  assert.not.ok(existsSync(got.stagedPath), 'Destroy removes what fsops did not take');
  await expectStatus(collect(r, id, ['out/**']), status.FAILED_PRECONDITION, { reason: 'VM_DESTROYED' });
});

test('over the file or byte cap, or a symlink out of the workspace: refused, nothing staged', async ({ r }) => {
  const id = await ranJob(r, 'mkdir -p out esc; for i in 1 2 3; do echo $i > out/$i; done; ln -s /etc/hostname esc/host');
  const staged = join(r.stateDir, 'outputs', id);
  await expectStatus(collect(r, id, ['out/**'], { maxFiles: 2 }), status.FAILED_PRECONDITION, { reason: 'ARTIFACT_LIMIT_EXCEEDED' });
  assert.not.ok(existsSync(staged));
  await expectStatus(collect(r, id, ['out/**'], { maxBytes: 5 }), status.FAILED_PRECONDITION, { reason: 'ARTIFACT_LIMIT_EXCEEDED' });
  assert.not.ok(existsSync(staged));
  await expectStatus(collect(r, id, ['esc/*']), status.PERMISSION_DENIED, { reason: 'ARTIFACT_PATH_ESCAPES' });
  assert.not.ok(existsSync(staged));
  // A refusal is not recorded: the same VM collects within its caps afterwards.
  assert.is((await collect(r, id, ['out/**'])).files.length, 3);
  assert.ok((await stat(staged)).isDirectory());
  await r.client.destroy({ vmId: id });
});

test('bad requests name the field; a VM that is not READY or unknown is refused', async ({ r }) => {
  const id = await ranJob(r, 'true');
  await expectStatus(collect(r, id, []), status.INVALID_ARGUMENT, { field: 'patterns' });
  await expectStatus(collect(r, id, ['../x']), status.INVALID_ARGUMENT, { field: 'patterns[0]' });
  await expectStatus(collect(r, id, ['/etc/*']), status.INVALID_ARGUMENT, { field: 'patterns[0]' });
  await expectStatus(collect(r, id, ['out'], { maxFiles: 10_001 }), status.INVALID_ARGUMENT, { field: 'max_files' });
  await expectStatus(collect(r, id, ['out'], { maxBytes: -1 }), status.INVALID_ARGUMENT, { field: 'max_bytes' });
  await expectStatus(collect(r, 'no-such-vm', ['out']), status.INVALID_ARGUMENT, { field: 'vm_id' });
  await expectStatus(collect(r, '00000000-0000-4000-8000-000000000000', ['out']), status.NOT_FOUND);
  const { vm } = await r.client.prepare(prepareRequest({ runsOn: 'local', script: 'true' }));
  await expectStatus(collect(r, vm!.id, ['out']), status.FAILED_PRECONDITION, { reason: 'VM_NOT_READY' });
  // An empty selection still stages an (empty) folder for fsops to commit.
  const none = await collect(r, id, ['nothing/**']);
  assert.equal([none.files, none.unmatchedPatterns], [[], ['nothing/**']]);
  assert.ok(existsSync(none.stagedPath));
  await r.client.destroy({ vmId: id });
  await r.client.destroy({ vmId: vm!.id });
});

test.run();
