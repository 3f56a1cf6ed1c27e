import { FsopsServiceService, OverwritePolicy } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import type { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { spawnFsops } from '@jobmesh/fsops/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from '../bench-types.ts';
import { sharedPersistence } from '../shared-persistence.ts';

/** An fsops process over roots in the scratch dir, with a client. */
export interface BenchFsops {
  roots: { workspace: string; artifacts: string; staging: string };
  transfer(source: string, destination: string, mode: TransferMode, skipChecksums?: boolean): Promise<void>;
}

/** Starts fsops (its own process, recording fs jobs in the shared persistence). */
export async function startBenchFsops(ctx: BenchContext): Promise<BenchFsops> {
  const persistence = await sharedPersistence(ctx);
  const base = join(ctx.scratchDir, 'fsops');
  const roots = { workspace: join(base, 'workspace'), artifacts: join(base, 'artifacts'), staging: join(base, 'staging') };
  for (const dir of Object.values(roots)) await mkdir(dir, { recursive: true });
  const service = spawnFsops({
    JOBMESH_PERSISTENCE_ADDR: persistence.address, JOBMESH_LOG_LEVEL: 'info' /* spawnService waits for the info line "<name> serving" */, JOBMESH_DATA_DIR: base,
    JOBMESH_FSOPS_WORKSPACE_ROOT: roots.workspace, JOBMESH_FSOPS_ARTIFACT_ROOT: roots.artifacts, JOBMESH_FSOPS_STAGING_ROOT: roots.staging,
  });
  const client = createClient(FsopsServiceService, `127.0.0.1:${await service.serving}`, { deadlineMs: 600_000, streamDeadlineMs: 600_000 });
  ctx.onEnd(async () => {
    client.close();
    service.child.kill('SIGTERM');
    await service.exited;
  });
  return {
    roots,
    async transfer(source, destination, mode, skipChecksums = false) {
      const request = { key: `bench/${randomUUID()}`, source, destination, mode, overwrite: OverwritePolicy.OVERWRITE_POLICY_FAIL, jobRequestId: '', skipChecksums };
      let done = false;
      for await (const message of client.transfer(request)) if (message.result) done = true;
      if (!done) throw new Error(`transfer ${source} → ${destination} ended without a result`);
    },
  };
}

/** Writes a file of `bytes` pseudo-random bytes (incompressible, so no filesystem shortcut), 8 MiB at a time. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const block = randomBytes(Math.min(bytes, 8 * 2 ** 20));
  const file = await open(path, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) {
      block.writeUInt32LE(written >>> 0, 0); // every block differs
      await file.write(block, 0, Math.min(block.length, bytes - written));
    }
  } finally {
    await file.close();
  }
}

/** Writes `count` small files (64 B to 8 KiB) in directories of 100. */
export async function writeSmallFiles(dir: string, count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    const size = 64 + ((i * 7919) % 8128);
    const file = await open(join(sub, `f${i}.txt`), 'w');
    await file.write(Buffer.alloc(size, String(i)));
    await file.close();
    total += size;
  }
  return total;
}
