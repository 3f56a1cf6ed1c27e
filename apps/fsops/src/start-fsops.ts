import { isSshAgentHost, spreadSubdirectories } from '@jobmesh/config';
import { FsJobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/fs_jobs.ts';
import { createClient } from '@jobmesh/grpc-kit';
import type { Logger } from '@jobmesh/logger';
import { join } from 'node:path';
import type { FsopsConfig } from './config.ts';
import { createRoots, metadataDir } from './paths/create-roots.ts';
import { createFsJobRecorder } from './records/create-fs-job-recorder.ts';
import { createFsopsServer } from './server.ts';
import { sweepStaleCheckouts } from './workspaces/sweep-stale-checkouts.ts';
import { createKeyLock } from './transfers/create-key-lock.ts';
import { createSidecarStore } from './transfers/sidecar-store.ts';

/** Health name that is NOT_SERVING while fs job records wait for persistence. */
export const persistenceHealthName = 'jobmesh.dependency.persistence';

/** A running fsops service. */
export interface RunningFsops {
  /** Port the gRPC server listens on. */
  port: number;
  /** The roots as real paths. */
  roots: { workspace: string; staging: string; artifacts: string };
  /** Drains calls, then sends what the record buffer still holds (for up to 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts fsops from its configuration: creates and resolves the roots, the
 * record buffer towards persistence (its degraded state drives the
 * `jobmesh.dependency.persistence` health status), then the gRPC server,
 * marked SERVING last.
 */
export async function startFsops(config: FsopsConfig, logger: Logger): Promise<RunningFsops> {
  const roots = await createRoots(config.roots);
  // Each checkout and artifact folder in a block group of its own (ext4): see spreadSubdirectories.
  for (const dir of [roots.workspace, roots.staging, roots.artifacts]) {
    if (!(await spreadSubdirectories(dir))) logger.info('folders made under this root stay in its block group (chattr +T not set: not ext4, or no chattr)', { dir });
  }
  // Half-made checkouts of a killed predecessor go before any call can start a new one.
  await sweepStaleCheckouts(roots.workspace, config.mirrorsDir, logger);
  const client = createClient(FsJobStoreServiceService, config.persistenceAddress, { deadlineMs: 5000, maxAttempts: 1, tls: config.tls });
  let server: ReturnType<typeof createFsopsServer> | undefined;
  const recorder = createFsJobRecorder({
    client,
    logger,
    journalDir: join(metadataDir(roots), 'records'),
    onDegradedChange: (degraded) => server?.setStatus(persistenceHealthName, !degraded),
  });
  server = createFsopsServer({
    roots,
    mirrorsDir: config.mirrorsDir,
    sidecars: createSidecarStore(join(metadataDir(roots), 'transfers')),
    recorder,
    lock: createKeyLock(),
    logger,
    copyChunkBytes: config.copyChunkBytes,
    copyChunkDelayMs: config.copyChunkDelayMs,
    gitTimeoutMs: config.gitTimeoutMs,
    sshAgentFor: (url) => isSshAgentHost(config.sshAgentRules, url),
    tls: config.tls,
  });
  const running = server;
  const port = await running.listen(config.address);
  running.setServing(true);
  running.setStatus(persistenceHealthName, !recorder.stats().degraded);
  return {
    port,
    roots,
    async stop() {
      await running.shutdown(config.shutdownGraceMs);
      await recorder.close(5000);
      client.close();
    },
  };
}
