import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { createClient } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsopsConfigSchema } from '../../src/config.ts';
import type { Roots } from '../../src/paths/create-roots.ts';
import { startFsops } from '../../src/start-fsops.ts';

/** A real fsops client. */
export function createFsopsClient(address: string) {
  return createClient(FsopsServiceService, address, { deadlineMs: 30_000, streamDeadlineMs: 120_000 });
}
export type FsopsClient = ReturnType<typeof createFsopsClient>;

/** An fsops server on 127.0.0.1:0 over fresh roots in a temporary directory, with a client. */
export interface TestFsops {
  address: string;
  /** The temporary directory holding the roots (and `mirrors/`). */
  base: string;
  roots: Roots;
  mirrorsDir: string;
  client: FsopsClient;
  stop(): Promise<void>;
}

/** Options of startTestFsops. */
export interface TestFsopsOptions {
  /** Persistence to record fs jobs in. @default an address nothing listens on */
  persistenceAddress?: string;
  /** Roots to use instead of fresh ones under `base` (e.g. staging on /dev/shm). */
  roots?: Partial<Roots>;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** Starts the real fsops service in this process. */
export async function startTestFsops(options: TestFsopsOptions = {}): Promise<TestFsops> {
  const base = await mkdtemp(join(tmpdir(), 'fsops-test-'));
  const dirs = {
    workspace: options.roots?.workspace ?? join(base, 'workspace'),
    staging: options.roots?.staging ?? join(base, 'staging'),
    artifacts: options.roots?.artifacts ?? join(base, 'artifacts'),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  const config = fsopsConfigSchema.parse({
    JOBMESH_FSOPS_ADDR: '127.0.0.1:0',
    JOBMESH_PERSISTENCE_ADDR: options.persistenceAddress ?? '127.0.0.1:1',
    JOBMESH_FSOPS_WORKSPACE_ROOT: dirs.workspace,
    JOBMESH_FSOPS_STAGING_ROOT: dirs.staging,
    JOBMESH_FSOPS_ARTIFACT_ROOT: dirs.artifacts,
    JOBMESH_FSOPS_MIRRORS_DIR: join(base, 'mirrors'),
    JOBMESH_SHUTDOWN_GRACE_MS: '1000',
    ...options.env,
  });
  const running = await startFsops(config, createLogger('fsops', { level: 'error' }));
  const address = `127.0.0.1:${running.port}`;
  const client = createFsopsClient(address);
  return {
    address,
    base,
    roots: running.roots,
    mirrorsDir: config.mirrorsDir,
    client,
    async stop() {
      client.close();
      await running.stop();
      await rm(base, { recursive: true, force: true });
    },
  };
}
