import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { FsJobState, TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestPersistence, type TestPersistence } from '@jobmesh/persistence/testing';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipTest } from '@jobmesh/testing-tools';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestSha256 } from '@jobmesh/artifacts';
import { bytes, runTransferCall, spawnFsops, transferRequest, writeTree, type FsopsProcess } from './support/index.ts';

const test = suite<Context>('a transfer killed mid-way (SIGKILL) resumes to a correct result');
test.before(async (ctx) => {
  ctx.p = await withDeadline(startTestPersistence(), 60_000, 'start persistence');
  ctx.base = await mkdtemp(join(tmpdir(), 'fsops-kill-'));
  ctx.processes = [];
});
test.after(async (ctx) => {
  for (const child of ctx.processes ?? []) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await ctx.p?.stop();
  if (ctx.base) await rm(ctx.base, { recursive: true, force: true });
});

const fileCount = 12;
const fileBytes = 512 * 1024;

const shm = '/dev/shm';
const crossDevice = existsSync(shm) && statSync(shm).dev !== statSync(tmpdir()).dev;
if (!crossDevice) console.log(`note: ${shm} is missing or on the same filesystem as ${tmpdir()}; the cross-filesystem move case is skipped`);

test('SIGKILL during a copy leaves no partial file under a final name; the repeat skips verified files and completes', async (ctx) => {
  await killAndResume(ctx, TransferMode.TRANSFER_MODE_COPY, 'workspace', join(ctx.base, 'staging'));
});

test('SIGKILL during a move across filesystems keeps the whole source until every copy is verified', async (ctx) => {
  if (!crossDevice) return skipTest('no second filesystem (/dev/shm missing or on the same filesystem as the temp dir)');
  const staging = await mkdtemp(join(shm, 'fsops-kill-'));
  try {
    await killAndResume(ctx, TransferMode.TRANSFER_MODE_MOVE, 'staging', staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
});

type Context = { p: TestPersistence; base: string; processes: FsopsProcess[] };

async function killAndResume(ctx: Context, mode: TransferMode, sourceRoot: 'workspace' | 'staging', staging: string) {
  const roots = { workspace: join(ctx.base, 'workspace'), staging, artifacts: join(ctx.base, 'artifacts') };
  const env = (extra: Record<string, string>) => ({
    JOBMESH_PERSISTENCE_ADDR: ctx.p.address,
    JOBMESH_FSOPS_WORKSPACE_ROOT: roots.workspace,
    JOBMESH_FSOPS_STAGING_ROOT: roots.staging,
    JOBMESH_FSOPS_ARTIFACT_ROOT: join(ctx.base, 'artifacts'),
    JOBMESH_FSOPS_MIRRORS_DIR: join(ctx.base, 'mirrors'),
    JOBMESH_LOG_LEVEL: 'warn',
    ...extra,
  });
  const start = async (extra: Record<string, string>) => {
    const child = spawnFsops({ ...env(extra), JOBMESH_LOG_LEVEL: 'info' });
    ctx.processes.push(child);
    const port = await withDeadline(child.serving, 30_000, 'fsops serving');
    return { child, client: createClient(FsopsServiceService, `127.0.0.1:${port}`, { deadlineMs: 30_000 }) };
  };

  // The throttle (documented test knob) makes the copy slow enough to be killed mid-way on any machine.
  const first = await start({ JOBMESH_FSOPS_COPY_CHUNK_BYTES: '65536', JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS: '15' });
  const source = join(roots[sourceRoot], `big-${mode}`);
  const files = Object.fromEntries(Array.from({ length: fileCount }, (_, i) => [`d${i % 3}/f${String(i).padStart(2, '0')}.bin`, bytes(fileBytes, 100 + i)]));
  const hashes = await writeTree(source, files);
  const destination = join(roots.artifacts, `big-${mode}`);
  const request = transferRequest({ key: `kill/${randomUUID()}`, source, destination, mode });

  let filesDoneAtKill = 0;
  await withDeadline((async () => {
    try {
      for await (const message of first.client.transfer(request)) {
        if (message.result) throw new Error('the transfer finished before it could be killed');
        if (message.progress && message.progress.filesDone >= 4) {
          filesDoneAtKill = message.progress.filesDone;
          first.child.child.kill('SIGKILL');
          break;
        }
      }
    } catch (error) {
      if (String(error).includes('finished before')) throw error;
    }
  })(), 60_000, 'transfer until the kill');
  await withDeadline(first.child.exited, 10_000, 'killed process exits');
  first.client.close();
  assert.ok(filesDoneAtKill >= 4 && filesDoneAtKill < fileCount, `killed after ${filesDoneAtKill} files`);

  // Under final names only whole, correct files; partial data can only sit in temporaries.
  const inodes = new Map<string, number>();
  for (const [path, content] of Object.entries(files)) {
    const written = await readFile(join(destination, path)).catch(() => undefined);
    if (!written) continue;
    assert.ok(written.equals(content), `${path} under its final name is complete`);
    inodes.set(path, (await stat(join(destination, path))).ino);
  }
  assert.ok(inodes.size >= 3 && inodes.size < fileCount, `${inodes.size} files were done at the kill`);
  if (mode === TransferMode.TRANSFER_MODE_MOVE) {
    for (const [path, content] of Object.entries(files)) assert.ok((await readFile(join(source, path))).equals(content), `source ${path} is still whole`);
  }

  const second = await start({});
  const { result } = await runTransferCall(second.client, request);
  assert.is(result.repeated, false);
  assert.is(result.files.length, fileCount);
  assert.ok(result.filesSkipped >= 3, `skipped ${result.filesSkipped} verified files`);
  assert.equal(Object.fromEntries(result.files.map((f) => [f.path, f.sha256])), hashes);
  assert.is(result.manifestSha256, manifestSha256(Object.entries(hashes).map(([path, sha256]) => ({ path, sha256, sizeBytes: fileBytes }))));
  let kept = 0;
  for (const [path, inode] of inodes) if ((await stat(join(destination, path))).ino === inode) kept++;
  assert.ok(kept >= result.filesSkipped, 'skipped files were not written again');
  const names = await readdir(destination, { recursive: true });
  assert.equal(names.filter((n) => n.includes('fsops-tmp')), [], 'temporaries of the killed attempt are gone');

  const row = await withDeadline((async () => {
    for (;;) {
      const job = await ctx.p.clients.fsJobs.getFsJob({ id: request.key }).then((r) => r.fsJob, () => undefined);
      if (job?.state === FsJobState.FS_JOB_STATE_COMPLETED) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(), 15_000, 'completed fs job');
  assert.is(row.filesDone, fileCount);
  assert.is(row.snapshot.length, fileCount);
  if (mode === TransferMode.TRANSFER_MODE_MOVE) assert.not.ok(existsSync(source), 'the source went once every copy was verified');
  second.client.close();
  second.child.child.kill('SIGTERM');
  await withDeadline(second.child.exited, 15_000, 'second process exits');
}

test.run();
