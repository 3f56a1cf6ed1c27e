import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, type PromiseClient } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogFile } from '../../src/catalog/catalog-schema.ts';
import { vmRunnerConfigSchema } from '../../src/config.ts';
import { startVmRunner, type RunningVmRunner } from '../../src/start-vm-runner.ts';

/** A test catalog: `local` (alias `process`, 2 slots) and `tiny` (1 slot) on the process backend. */
export const processCatalog: CatalogFile = {
  labels: [
    { name: 'local', aliases: ['process'], backend: 'process', slots: 2 },
    { name: 'tiny', aliases: [], backend: 'process', slots: 1 },
  ],
};

/** A vm-runner in this process on 127.0.0.1:0 with its own state dir and a client. */
export interface TestVmRunner {
  address: string;
  stateDir: string;
  client: PromiseClient<typeof VmRunnerServiceService>;
  running: RunningVmRunner;
  /** Stops the server (VMs are left as they are). */
  stop(): Promise<void>;
  /** Stops, then removes the state dir. */
  dispose(): Promise<void>;
}

/** Writes a catalog file into a fresh temporary folder and returns its path. */
export async function writeCatalog(catalog: CatalogFile, dir?: string): Promise<string> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), 'jobmesh-vmr-catalog-')));
  const path = join(folder, 'catalog.json');
  await writeFile(path, JSON.stringify(catalog));
  return path;
}

/** Starts the real vm-runner in-process, recording into persistence at `persistenceAddress`. */
export async function startTestVmRunner(options: { persistenceAddress: string; catalog?: CatalogFile; stateDir?: string; env?: Record<string, string> }): Promise<TestVmRunner> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'jobmesh-vmr-state-')));
  const config = vmRunnerConfigSchema.parse({
    JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0',
    JOBMESH_PERSISTENCE_ADDR: options.persistenceAddress,
    JOBMESH_VMRUNNER_STATE_DIR: stateDir,
    JOBMESH_VMRUNNER_CATALOG: await writeCatalog(options.catalog ?? processCatalog, stateDir),
    JOBMESH_VMRUNNER_ACCEL: 'tcg',
    JOBMESH_VMRUNNER_STOP_GRACE_MS: '1000',
    JOBMESH_SHUTDOWN_GRACE_MS: '1000',
    JOBMESH_VMRUNNER_HOST: 'test-host',
    JOBMESH_VMRUNNER_OUTPUT_ROOT: join(stateDir, 'outputs'),
    // Tests make their workspaces with mkdtemp in the temp dir; the orchestrator's mesh uses fsops' root.
    JOBMESH_VMRUNNER_WORKSPACE_ROOT: tmpdir(),
    ...options.env,
  });
  const running = await startVmRunner(config, createLogger('vm-runner', { level: 'warn' }));
  const address = `127.0.0.1:${running.port}`;
  const client = createClient(VmRunnerServiceService, address);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.close();
    await running.stop();
  };
  return { address, stateDir, client, running, stop, async dispose() { await stop(); await rm(stateDir, { recursive: true, force: true }); } };
}
