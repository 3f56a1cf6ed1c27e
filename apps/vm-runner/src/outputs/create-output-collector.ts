import { failedPrecondition, isMeshError } from '@jobmesh/grpc-kit';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend, StagedOutputs } from '../backends/backend.ts';
import type { VmRegistry } from '../vms/create-vm-registry.ts';
import type { VmRecord } from '../vms/vm-record.ts';

/** What a collection asks for, checked. */
export interface CollectRequest {
  patterns: string[];
  maxFiles: number;
  maxBytes: number;
}

/** A collection's result. */
export interface CollectedOutputs extends StagedOutputs {
  stagedPath: string;
  bytesTotal: number;
  /** True when it had completed before and this is its record. */
  repeated: boolean;
}

const recordName = 'outputs.json';
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * CollectOutputs over the backends: one collection per VM into `<outputRoot>/<vm id>`. A completed
 * one is recorded in the VM's folder and answered again from the record; an interrupted one
 * (vm-runner killed) starts again from an empty folder; concurrent calls for one VM share the
 * collection in flight. A refused collection (caps, escaping path) leaves nothing staged.
 */
export function createOutputCollector(deps: { registry: VmRegistry; backends: Partial<Record<'process' | 'qemu', Backend>>; outputRoot: string }) {
  const inFlight = new Map<string, Promise<CollectedOutputs>>();

  const collect = async (record: VmRecord, request: CollectRequest): Promise<CollectedOutputs> => {
    const recordPath = join(record.vmDir, recordName);
    // A record that does not parse (cut short by a power loss: nothing here is fsynced) counts as none.
    const recorded = await readFile(recordPath, 'utf8').then((text) => {
      try {
        return JSON.parse(text) as CollectedOutputs;
      } catch {
        return undefined;
      }
    }, () => undefined);
    if (recorded) return { ...recorded, repeated: true };
    if (record.state !== 'READY') throw failedPrecondition('VM_NOT_READY', `vm ${record.id} is ${record.state}; outputs are collected from a READY VM after its job ended`);
    const backend = deps.backends[record.backend];
    if (!backend) throw failedPrecondition('BACKEND_UNAVAILABLE', `backend ${record.backend} is not available on this host`);
    const stagedPath = join(deps.outputRoot, record.id);
    await rm(stagedPath, { recursive: true, force: true });
    await mkdir(stagedPath, { recursive: true, mode: 0o700 });
    let staged: StagedOutputs;
    try {
      staged = await backend.collectOutputs(record, { ...request, destination: stagedPath });
    } catch (error) {
      await rm(stagedPath, { recursive: true, force: true });
      if (isMeshError(error)) throw error;
      throw failedPrecondition('COLLECT_FAILED', `collecting the outputs of vm ${record.id} failed: ${messageOf(error)}`, { cause: error });
    }
    const files = [...staged.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const result: CollectedOutputs = { stagedPath, files, unmatched: staged.unmatched, bytesTotal: files.reduce((sum, f) => sum + f.sizeBytes, 0), repeated: false };
    await writeFile(`${recordPath}.tmp`, JSON.stringify(result));
    await rename(`${recordPath}.tmp`, recordPath);
    return result;
  };

  return {
    /** @throws FAILED_PRECONDITION VM_NOT_READY, ARTIFACT_LIMIT_EXCEEDED; PERMISSION_DENIED ARTIFACT_PATH_ESCAPES */
    collect(id: string, request: CollectRequest): Promise<CollectedOutputs> {
      const record = deps.registry.require(id);
      if (record.state === 'DESTROYED') return Promise.reject(failedPrecondition('VM_DESTROYED', `vm ${id} is destroyed`));
      let running = inFlight.get(id);
      if (!running) {
        running = collect(record, request).finally(() => inFlight.delete(id));
        inFlight.set(id, running);
      }
      return running;
    },
  };
}

/** The collector. */
export type OutputCollector = ReturnType<typeof createOutputCollector>;
