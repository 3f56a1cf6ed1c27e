import type { ExecResponse } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { LogStream } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { defineService, invalidArgument } from '@jobmesh/grpc-kit';
import { requirePatterns } from '@jobmesh/artifacts';
import type { Catalog } from '../catalog/create-catalog.ts';
import type { Backend } from '../backends/backend.ts';
import type { LabelHealth } from '../catalog/create-label-health.ts';
import type { OutputCollector } from '../outputs/create-output-collector.ts';
import { createAsyncQueue } from './create-async-queue.ts';
import type { VmLifecycle } from './create-vm-lifecycle.ts';
import type { VmRegistry } from './create-vm-registry.ts';
import { validatePrepare } from './validate-prepare.ts';
import { listVmsPage } from './list-vms-page.ts';
import { toProtoVm, vmBackendOf } from './vm-record.ts';

/** What the service is built from. */
export interface VmRunnerServiceDeps {
  lifecycle: VmLifecycle;
  registry: VmRegistry;
  catalog: Catalog;
  /** Host name reported by Capacity. */
  host: string;
  outputs: OutputCollector;
  health: LabelHealth;
  backends: Partial<Record<'process' | 'qemu', Backend>>;
  /** Folder every Prepare's workspace_path must lie in (fsops' workspace root). */
  workspaceRoot: string;
}

const nonNegative = (field: string, value: number) => {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidArgument(field, 'must be 0 or more');
  return value;
};

/**
 * Output an Exec stream holds for a slow client before the job is held back, in bytes. With the
 * grpc-js write buffer and the reader's current chunk (≤ 256 KiB) this bounds one Exec's memory
 * to a few MiB whatever the job writes.
 */
export const maxQueuedOutputBytes = 4 * 1024 * 1024;

const defaultMaxFiles = 1000;
const defaultMaxBytes = 1024 ** 3;

/** jobmesh.vmrunner.v1.VmRunnerService over the VM lifecycle. */
export function createVmRunnerService({ lifecycle, registry, catalog, host, outputs, health, backends, workspaceRoot }: VmRunnerServiceDeps) {
  return defineService('jobmesh.vmrunner.v1.VmRunnerService', VmRunnerServiceService, {
    async prepare(request) {
      const input = validatePrepare(request, workspaceRoot);
      return { vm: toProtoVm(await lifecycle.prepare(request.runsOn, input)) };
    },
    async start(request) {
      return { vm: toProtoVm(await lifecycle.start(request.vmId)) };
    },
    async waitReady(request, context) {
      const timeoutMs = nonNegative('timeout_ms', request.timeoutMs);
      return { vm: toProtoVm(await lifecycle.waitReady(request.vmId, timeoutMs, context.signal)) };
    },
    async *exec(request, context) {
      const timeoutMs = nonNegative('timeout_ms', request.timeoutMs);
      const killGraceMs = nonNegative('kill_grace_ms', request.killGraceMs);
      // Bounded: a job writing faster than the client reads is held back (see ExecOptions.onOutput).
      const queue = createAsyncQueue<ExecResponse>({ maxBytes: maxQueuedOutputBytes, sizeOf: (m) => m.output?.data.length ?? 0 });
      let seq = 0;
      const started = Date.now();
      const run = lifecycle.exec(request.vmId, {
        timeoutMs,
        killGraceMs,
        signal: context.signal,
        rejoin: request.rejoin,
        onOutput: (stream, data) =>
          queue.push({ output: { seq: seq++, stream: stream === 'stdout' ? LogStream.LOG_STREAM_STDOUT : LogStream.LOG_STREAM_STDERR, data } }),
      });
      run.then(
        (outcome) => {
          queue.push({ result: { exitCode: outcome.exitCode, signal: outcome.signal, timedOut: outcome.timedOut, durationMs: Date.now() - started } });
          queue.end();
        },
        (error: unknown) => queue.fail(error),
      );
      // Output goes out as it comes; a client that goes away aborts context.signal, which ends
      // the job unless it asked for rejoin (then the job goes on and a later Exec re-joins it).
      yield* queue;
    },
    async collectOutputs(request) {
      const patterns = requirePatterns('patterns', request.patterns);
      const maxFiles = nonNegative('max_files', request.maxFiles) || defaultMaxFiles;
      if (maxFiles > 10_000) throw invalidArgument('max_files', 'must be 0 (the default, 1000) to 10000');
      const maxBytes = nonNegative('max_bytes', request.maxBytes) || defaultMaxBytes;
      const collected = await outputs.collect(request.vmId, { patterns, maxFiles, maxBytes });
      return { stagedPath: collected.stagedPath, files: collected.files, unmatchedPatterns: collected.unmatched, bytesTotal: collected.bytesTotal, repeated: collected.repeated };
    },
    async stop(request) {
      const graceMs = nonNegative('grace_ms', request.graceMs);
      const { record, stoppedBy } = await lifecycle.stop(request.vmId, { force: request.force, graceMs });
      return { vm: toProtoVm(record), stoppedBy };
    },
    async destroy(request) {
      return { vm: toProtoVm(await lifecycle.destroy(request.vmId)) };
    },
    async readConsole(request) {
      if (!Number.isInteger(request.maxBytes) || request.maxBytes < 0 || request.maxBytes > 1024 * 1024) throw invalidArgument('max_bytes', 'must be 0 (the default, 16384) to 1048576');
      const record = registry.require(request.vmId);
      const tail = await backends[record.backend]?.readConsole?.(record, request.maxBytes || 16_384);
      return { text: tail?.text ?? '', truncated: tail?.truncated ?? false };
    },
    async getVm(request) {
      return { vm: toProtoVm(registry.require(request.vmId)) };
    },
    async listVms(request) {
      const page = listVmsPage(registry.list(), { ...request, states: new Set<number>(request.states) });
      return { vms: page.vms.map(toProtoVm), nextPageToken: page.nextPageToken };
    },
    async capacity() {
      const reasons = await Promise.all(catalog.labels.map((label) => health.reasonOf(label)));
      return {
        host,
        labels: catalog.labels.map((label, i) => ({
          label: label.name,
          aliases: label.aliases,
          backend: vmBackendOf(label.backend),
          slotsTotal: label.slots,
          slotsInUse: registry.slotsInUse(label.name),
          memoryMb: label.backend === 'qemu' ? label.memoryMb : 0,
          cpus: label.backend === 'qemu' ? label.cpus : 0,
          unavailableReason: reasons[i]!,
          accelerator: backends[label.backend]?.accelerator?.().name ?? '',
          acceleratorReason: backends[label.backend]?.accelerator?.().reason ?? '',
        })),
      };
    },
  });
}
