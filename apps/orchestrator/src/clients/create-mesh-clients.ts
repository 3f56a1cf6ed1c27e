import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { ArtifactStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { PipelineStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { RetentionStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { VmStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { WorkflowStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, type TlsOptions } from '@jobmesh/grpc-kit';
import { createLogStoreClient } from './create-log-store-client.ts';

/** Addresses of the services the orchestrator calls. */
export interface MeshAddresses {
  persistenceAddress: string;
  /** Every vm-runner; jobs are placed on one with a free slot. */
  vmRunnerAddresses: string[];
  /** fsops, or one per vm-runner in the same order (a VM host = a vm-runner + the fsops sharing its workspace root). */
  fsopsAddresses: string[];
  /** TLS towards every service (the orchestrator's own certificate doubles as its client certificate). @default plaintext */
  tls?: TlsOptions;
}

/** Clients of every service the orchestrator calls, each with deadlines and contract-driven retries. */
export function createMeshClients(addresses: MeshAddresses) {
  const tls = addresses.tls;
  const fsopsHosts = new Map(addresses.fsopsAddresses.map((address) => [address, createClient(FsopsServiceService, address, { deadlineMs: 300_000, tls })]));
  return {
    jobs: createClient(JobStoreServiceService, addresses.persistenceAddress, { tls }),
    artifacts: createClient(ArtifactStoreServiceService, addresses.persistenceAddress, { tls }),
    // Appends of any size, split within persistence's caps.
    logs: createLogStoreClient(addresses.persistenceAddress, { tls }),
    workflows: createClient(WorkflowStoreServiceService, addresses.persistenceAddress, { tls }),
    vms: createClient(VmStoreServiceService, addresses.persistenceAddress, { tls }),
    pipelines: createClient(PipelineStoreServiceService, addresses.persistenceAddress, { tls }),
    // A prune call deletes at most max_batches batches per table: well under a minute.
    retention: createClient(RetentionStoreServiceService, addresses.persistenceAddress, { deadlineMs: 120_000, tls }),
    vmRunners: new Map(addresses.vmRunnerAddresses.map((address) => [address, createClient(VmRunnerServiceService, address, { deadlineMs: 60_000, tls })])),
    /** Every fsops by address (one per VM host, or one for all). */
    fsopsHosts: fsopsHosts,
    /** The first fsops: for work bound to no host (reading a manifest, artifacts in the shared artifact root). */
    fsops: fsopsHosts.values().next().value!,
    close() {
      for (const client of [this.jobs, this.artifacts, this.logs, this.workflows, this.vms, this.pipelines, this.retention, ...this.vmRunners.values(), ...this.fsopsHosts.values()]) client.close();
    },
    /** The fsops of the vm-runner at `runner`'s host (the one that shares its workspace root). */
    fsopsFor(runner: string) {
      const at = addresses.vmRunnerAddresses.indexOf(runner);
      return fsopsHosts.get(addresses.fsopsAddresses[at] ?? '') ?? this.fsops;
    },
    /** The vm-runners on the same host as `runner` (sharing its fsops): where its workspace can be used. */
    sameHostRunners(runner: string) {
      const fsops = this.fsopsFor(runner);
      return addresses.vmRunnerAddresses.filter((address) => this.fsopsFor(address) === fsops);
    },
    /** The vm-runner at `address`; the first one for an unknown address (workflows recorded before placement existed). */
    vmRunnerAt(address: string) {
      return this.vmRunners.get(address) ?? this.vmRunners.values().next().value!;
    },
  };
}

/** The clients, as the orchestrator's modules take them. */
export type MeshClients = ReturnType<typeof createMeshClients>;
