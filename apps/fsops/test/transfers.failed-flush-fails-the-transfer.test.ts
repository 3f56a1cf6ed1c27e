import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient, status } from '@jobmesh/grpc-kit';
import { expectStatus, withDeadline } from '@jobmesh/grpc-kit/testing';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes, runTransferCall, spawnFsops, transferRequest, writeTree, type FsopsProcess } from './support/index.ts';

// A batch of copies is made durable with one `sync -f` per filesystem. When that sync reports a
// failure (a write-back error), falling back to fsyncs of freshly opened files proves nothing
// (Linux reports an earlier write-back error only to descriptors open when it happened): the
// transfer must fail. Only a `sync` that cannot do -f at all falls back to fsyncs.
// fsops runs as its own process with a fake `sync` first on its PATH.

interface Ctx { base: string; processes: FsopsProcess[] }
const test = suite<Ctx>('a failed filesystem flush fails the transfer');
test.before(async (ctx) => {
  ctx.base = await mkdtemp(join(tmpdir(), 'fsops-flush-'));
  ctx.processes = [];
});
test.after(async (ctx) => {
  for (const child of ctx.processes ?? []) child.child.kill('SIGKILL');
  if (ctx.base) await rm(ctx.base, { recursive: true, force: true });
});

/** Starts fsops whose `sync` is a script printing `stderr` and exiting 1. */
async function fsopsWithFakeSync(ctx: Ctx, name: string, stderr: string) {
  const dir = join(ctx.base, name);
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'sync'), `#!/bin/sh\necho "${stderr}" >&2\nexit 1\n`);
  await chmod(join(bin, 'sync'), 0o755);
  const roots = { workspace: join(dir, 'workspace'), staging: join(dir, 'staging'), artifacts: join(dir, 'artifacts') };
  for (const root of Object.values(roots)) await mkdir(root, { recursive: true });
  const child = spawnFsops({
    PATH: `${bin}:${process.env.PATH}`, JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:1', JOBMESH_LOG_LEVEL: 'info',
    JOBMESH_FSOPS_WORKSPACE_ROOT: roots.workspace, JOBMESH_FSOPS_STAGING_ROOT: roots.staging, JOBMESH_FSOPS_ARTIFACT_ROOT: roots.artifacts,
    JOBMESH_FSOPS_MIRRORS_DIR: join(dir, 'mirrors'),
  });
  ctx.processes.push(child);
  const port = await withDeadline(child.serving, 30_000, 'fsops serving');
  return { roots, client: createClient(FsopsServiceService, `127.0.0.1:${port}`, { deadlineMs: 60_000 }) };
}

/** 20 small files: more than a batch fsyncs one by one, so the batch is flushed with `sync -f`. */
const tree = () => Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.bin`, bytes(1000 + i, i)]));

test('sync -f reporting an I/O error: the transfer fails DATA_LOSS FLUSH_FAILED and no file appears under its final name', async (ctx) => {
  const { roots, client } = await fsopsWithFakeSync(ctx, 'eio', "sync: error syncing '/x': Input/output error");
  try {
    const source = join(roots.workspace, 'tree');
    await writeTree(source, tree());
    const destination = join(roots.artifacts, 'tree');
    const request = transferRequest({ key: `flush/${randomUUID()}`, source, destination, mode: TransferMode.TRANSFER_MODE_COPY });
    await expectStatus(runTransferCall(client, request, 60_000), status.DATA_LOSS, { reason: 'FLUSH_FAILED' });
    const present = (await readdir(destination).catch(() => [] as string[])).filter((name) => !name.includes('fsops-tmp'));
    assert.equal(present, [], 'nothing was renamed to its final name');
  } finally {
    client.close();
  }
});

test('a sync without -f: the batch is made durable with fsyncs and the transfer succeeds', async (ctx) => {
  const { roots, client } = await fsopsWithFakeSync(ctx, 'old-sync', "sync: invalid option -- 'f'");
  try {
    const source = join(roots.workspace, 'tree');
    const hashes = await writeTree(source, tree());
    const request = transferRequest({ key: `flush/${randomUUID()}`, source, destination: join(roots.artifacts, 'tree'), mode: TransferMode.TRANSFER_MODE_COPY });
    const { result } = await runTransferCall(client, request, 60_000);
    assert.equal(Object.fromEntries(result.files.map((file) => [file.path, file.sha256])), hashes);
  } finally {
    client.close();
  }
});

test.run();
