import { FsopsServiceService } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { ArtifactStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { PipelineStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/pipelines.ts';
import { RetentionStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/retention.ts';
import { VmStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { WorkflowStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { VmRunnerServiceService } from '@jobmesh/contracts/jobmesh/vmrunner/v1/vm_runner.ts';
import { createClient, unavailable, type TlsOptions } from '@jobmesh/grpc-kit';
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
  /**
   * VM hosts found through DNS instead of the lists: each address the name resolves to is one host,
   * its vm-runner on `vmRunnerPort` and its fsops on `fsopsPort` (a Kubernetes headless Service
   * over the VM host pods). `refreshHosts()` re-reads it.
   */
  vmHostsDns?: { name: string; vmRunnerPort: number; fsopsPort: number };
}

/** Resolves a name to its addresses (IPv4 and IPv6). */
export type ResolveHosts = (name: string) => Promise<string[]>;

const resolveAll: ResolveHosts = async (name) => {
  const { lookup } = await import('node:dns/promises');
  return (await lookup(name, { all: true })).map((a) => (a.family === 6 ? `[${a.address}]` : a.address));
};

/** Clients of every service the orchestrator calls, each with deadlines and contract-driven retries. */
export function createMeshClients(addresses: MeshAddresses, resolveHosts: ResolveHosts = resolveAll) {
  const tls = addresses.tls;
  // Hosts found through DNS are dialled by address: their certificates are checked against the DNS name.
  const hostTls = tls && addresses.vmHostsDns ? { ...tls, serverName: tls.serverName ?? addresses.vmHostsDns.name } : tls;
  const fsopsClient = (address: string) => createClient(FsopsServiceService, address, { deadlineMs: 300_000, tls: hostTls });
  const vmRunnerClient = (address: string) => createClient(VmRunnerServiceService, address, { deadlineMs: 60_000, tls: hostTls });
  // The VM hosts: each vm-runner's address → the address of the fsops sharing its workspace root.
  const hostOf = new Map<string, string>(addresses.vmRunnerAddresses.map((runner, i) => [runner, addresses.fsopsAddresses[i] ?? addresses.fsopsAddresses[0]!]));
  const vmRunners = new Map(addresses.vmRunnerAddresses.map((address) => [address, vmRunnerClient(address)]));
  const fsopsHosts = new Map(addresses.fsopsAddresses.map((address) => [address, fsopsClient(address)]));
  // Clients of hosts DNS no longer names, for the jobs still pinned to them (their calls fail:
  // HOST_LOST after the limit), never another host's.
  const departed = new Map<string, ReturnType<typeof vmRunnerClient> | ReturnType<typeof fsopsClient>>();
  const dns = addresses.vmHostsDns;
  const fsopsAddressOf = (runner: string) => hostOf.get(runner) ?? (dns && runner ? runner.replace(/:\d+$/, `:${dns.fsopsPort}`) : undefined);
  const departedClient = <C>(address: string, make: (a: string) => C): C => {
    if (!departed.has(address)) departed.set(address, make(address) as never);
    return departed.get(address) as C;
  };
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
    vmRunners,
    /** Every fsops by address (one per VM host, or one for all). */
    fsopsHosts,
    /** The first fsops: for work bound to no host (reading a manifest, artifacts in the shared artifact root). */
    get fsops() {
      const first = fsopsHosts.values().next().value;
      if (!first) throw unavailable('NO_VM_HOST', `no VM host is known yet (JOBMESH_VM_HOSTS_DNS ${dns?.name ?? ''} names none)`);
      return first;
    },
    /**
     * With `vmHostsDns`: re-reads the VM hosts from DNS, adds the new ones and drops (and closes)
     * those gone; a failed lookup or an empty answer changes nothing (a host that vanished for good
     * fails its jobs' steps with HOST_LOST). @returns the vm-runner addresses now
     */
    async refreshHosts(): Promise<string[]> {
      const dns = addresses.vmHostsDns;
      if (!dns) return [...vmRunners.keys()];
      const found = await resolveHosts(dns.name).catch(() => []);
      if (found.length === 0) return [...vmRunners.keys()];
      const wanted = new Map(found.map((ip) => [`${ip}:${dns.vmRunnerPort}`, `${ip}:${dns.fsopsPort}`]));
      for (const [runner, fsops] of wanted) {
        if (!vmRunners.has(runner)) vmRunners.set(runner, vmRunnerClient(runner));
        if (!fsopsHosts.has(fsops)) fsopsHosts.set(fsops, fsopsClient(fsops));
        hostOf.set(runner, fsops);
      }
      for (const runner of [...vmRunners.keys()].filter((r) => !wanted.has(r))) {
        vmRunners.get(runner)!.close();
        vmRunners.delete(runner);
        hostOf.delete(runner);
      }
      const kept = new Set(wanted.values());
      for (const fsops of [...fsopsHosts.keys()].filter((f) => !kept.has(f))) {
        fsopsHosts.get(fsops)!.close();
        fsopsHosts.delete(fsops);
      }
      return [...vmRunners.keys()];
    },
    close() {
      for (const client of [this.jobs, this.artifacts, this.logs, this.workflows, this.vms, this.pipelines, this.retention, ...this.vmRunners.values(), ...this.fsopsHosts.values(), ...departed.values()]) client.close();
    },
    /** The fsops of the vm-runner at `runner`'s host (the one that shares its workspace root). */
    fsopsFor(runner: string) {
      const address = fsopsAddressOf(runner);
      if (address === undefined) return this.fsops;
      return fsopsHosts.get(address) ?? (dns ? departedClient(address, fsopsClient) : this.fsops);
    },
    /** The vm-runners on the same host as `runner` (sharing its fsops): where its workspace can be used. */
    sameHostRunners(runner: string) {
      const fsops = hostOf.get(runner);
      return [...vmRunners.keys()].filter((address) => hostOf.get(address) === fsops);
    },
    /** The vm-runner at `address`; the first one for an unknown address (workflows recorded before placement existed). */
    vmRunnerAt(address: string) {
      const known = this.vmRunners.get(address);
      if (known) return known;
      if (dns && address) return departedClient(address, vmRunnerClient);
      return this.vmRunners.values().next().value!;
    },
  };
}

/** The clients, as the orchestrator's modules take them. */
export type MeshClients = ReturnType<typeof createMeshClients>;
