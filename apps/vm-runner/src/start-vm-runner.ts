import { join } from 'node:path';
import type { Logger } from '@jobmesh/logger';
import type { Backend } from './backends/backend.ts';
import { createProcessBackend } from './backends/process/create-process-backend.ts';
import { createLabelHealth } from './catalog/create-label-health.ts';
import { createCatalog } from './catalog/create-catalog.ts';
import { hostJobsRefusal } from './catalog/host-jobs-refusal.ts';
import { loadCatalog } from './catalog/load-catalog.ts';
import { spreadSubdirectories } from '@jobmesh/config';
import { mkdir } from 'node:fs/promises';
import type { VmRunnerConfig } from './config.ts';
import { createPersistenceRecords } from './records/create-persistence-records.ts';
import { createVmEventRecorder } from './records/create-vm-event-recorder.ts';
import { reconcileVms, type ReconcileSummary } from './reconcile/reconcile-vms.ts';
import { createVmRunnerServer, persistenceDependencyHealthName } from './server.ts';
import { createOutputCollector } from './outputs/create-output-collector.ts';
import { createVmLifecycle } from './vms/create-vm-lifecycle.ts';
import { createVmRegistry } from './vms/create-vm-registry.ts';
import { createVmStateStore } from './vms/vm-state-store.ts';

/** A running vm-runner. */
export interface RunningVmRunner {
  port: number;
  /** What start-up reconciliation did. */
  reconciled: ReconcileSummary;
  /**
   * Drains calls, ends running jobs, flushes VM events. VMs themselves keep
   * running (qemu is detached): the next start re-attaches them.
   */
  stop(): Promise<void>;
}

/**
 * Starts vm-runner from its configuration: catalog, state dir, backends (qemu
 * only when the catalog has a qemu label and its driver loads), the record
 * buffer to persistence, reconciliation of the previous run's VMs, then the
 * gRPC server, marked SERVING last.
 * @throws Error for an invalid catalog or an unusable state dir
 */
export async function startVmRunner(config: VmRunnerConfig, logger: Logger): Promise<RunningVmRunner> {
  const catalog = createCatalog(await loadCatalog(config.catalogPath));
  const backends: Partial<Record<'process' | 'qemu', Backend>> = { process: createProcessBackend() };
  const backendProblems: Partial<Record<'process' | 'qemu', string>> = {};
  if (catalog.labels.some((label) => label.backend === 'qemu')) {
    try {
      // Loaded on demand: a host without the qemu driver still serves its process labels.
      const { createQemuBackend } = await import('./backends/qemu/create-qemu-backend.ts');
      const qemu = createQemuBackend({ imageCacheDir: config.imageCacheDir, accel: config.accel, probeDir: join(config.stateDir, 'probe'), consoleArchiveDir: join(config.stateDir, 'consoles'), logger });
      qemu.warm(catalog.labels);
      backends.qemu = qemu;
    } catch (error) {
      logger.warn('qemu backend unavailable; its labels refuse Prepare', { error });
      backendProblems.qemu = `the qemu backend failed to load: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  let server: ReturnType<typeof createVmRunnerServer> | undefined;
  let degraded = false;
  const records = createPersistenceRecords({
    address: config.persistenceAddress,
    tls: config.tls,
    logger,
    maxBuffered: config.recordBufferSize,
    journalDir: join(config.stateDir, 'records'),
    onDegradedChange: (value) => {
      degraded = value;
      server?.setStatus(persistenceDependencyHealthName, !value);
    },
  });
  const store = await createVmStateStore(config.stateDir);
  // Each VM's folder, and each VM's folder of collected outputs, in a block group of its own (ext4): see spreadSubdirectories.
  const outputRootMade = await mkdir(config.outputRoot, { recursive: true }).then(() => true, () => false);
  for (const dir of [store.vmsDir, ...(outputRootMade ? [config.outputRoot] : [])]) {
    if (!(await spreadSubdirectories(dir))) logger.info('folders made here stay in their parent\'s block group (chattr +T not set: not ext4, or no chattr)', { dir });
  }
  const registry = createVmRegistry(store, createVmEventRecorder(records.buffer, config.host));
  const reconciled = await reconcileVms({ registry, backends, logger, stopGraceMs: config.stopGraceMs });
  const health = createLabelHealth(backends, backendProblems, (label) => hostJobsRefusal({ address: config.address, allowHostJobs: config.allowHostJobs }, label));
  for (const label of catalog.labels) {
    const reason = await health.reasonOf(label);
    if (reason) logger.warn('label unavailable on this host: its jobs fail at once', { label: label.name, reason });
  }
  const lifecycle = createVmLifecycle({ registry, catalog, backends, logger, health, readyTimeoutMs: config.readyTimeoutMs, stopGraceMs: config.stopGraceMs, outputRoot: config.outputRoot });

  const outputs = createOutputCollector({ registry, backends, outputRoot: config.outputRoot });
  server = createVmRunnerServer({ lifecycle, registry, catalog, host: config.host, logger, tls: config.tls, outputs, health, backends, workspaceRoot: config.workspaceRoot });
  const port = await server.listen(config.address);
  server.setServing(true);
  server.setStatus(persistenceDependencyHealthName, !degraded);
  return {
    port,
    reconciled,
    async stop() {
      lifecycle.abortAll('vm-runner is shutting down');
      await server.shutdown(config.shutdownGraceMs);
      await records.close(Math.min(config.shutdownGraceMs, 5000));
    },
  };
}
