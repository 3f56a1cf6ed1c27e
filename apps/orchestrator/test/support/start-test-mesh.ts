import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import { JobServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import { OperationServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/operations.ts';
import { PipelineServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/pipelines.ts';
import { VmServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/vms.ts';
import { createClient, Metadata, type TlsOptions } from '@jobmesh/grpc-kit';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { createPersistenceClients, createTestDatabase, type PersistenceClients, type TestDatabase } from '@jobmesh/persistence/testing';
import { killProcessesMentioning, spawnService, type ServiceProcess } from '@jobmesh/testing-tools';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const entries = {
  persistence: 'apps/persistence/src/main.ts',
  'vm-runner': 'apps/vm-runner/src/main.ts',
  fsops: 'apps/fsops/src/main.ts',
  orchestrator: 'apps/orchestrator/src/main.ts',
} as const;
/** The four services, in start order. */
export type ServiceName = keyof typeof entries;

/** Options of a test mesh. */
export interface TestMeshOptions {
  /** Slots of the `local` (process backend) label. @default 4 */
  localSlots?: number;
  /** Extra environment for every service (e.g. OTEL_* for tracing tests). */
  env?: Record<string, string>;
  /** Workflow lease of the orchestrator, in ms: how fast a killed one's jobs are taken over. @default 2000 */
  leaseMs?: number;
  /**
   * TLS of the test's own clients (public API and persistence); the services
   * get theirs from `env` (JOBMESH_TLS_*). @default plaintext
   */
  tls?: TlsOptions;
  /** Bearer token the public API clients send. @default none */
  token?: string;
  /**
   * Database to use instead of a fresh one on the shared test Postgres: e.g. one on a Postgres
   * the caller stops and starts (the chaos drill). `stop()` still calls its `drop()`.
   */
  database?: TestDatabase;
  /** More catalog labels besides `local` (e.g. a qemu label). @default none */
  labels?: Record<string, unknown>[];
  /**
   * VM hosts: each a vm-runner and an fsops sharing a workspace root of their own (host 0 is the
   * `vm-runner` and `fsops` services; hosts 1… live under `<dataDir>/host-<i>`), all sharing the
   * artifact root. @default 1
   */
  hosts?: number;
}

/** The four real services as processes on free ports, with clients of the public API and of persistence. */
export interface TestMesh {
  dataDir: string;
  database: TestDatabase;
  address: Record<ServiceName, string>;
  api: {
    jobs: ReturnType<typeof createClient<typeof JobServiceService>>;
    operations: ReturnType<typeof createClient<typeof OperationServiceService>>;
    vms: ReturnType<typeof createClient<typeof VmServiceService>>;
    artifacts: ReturnType<typeof createClient<typeof ArtifactServiceService>>;
    pipelines: ReturnType<typeof createClient<typeof PipelineServiceService>>;
  };
  store: PersistenceClients;
  /** SIGKILLs a service (a crash). */
  kill(name: ServiceName): Promise<void>;
  /** Starts a killed or stopped service again on the same port, with extra environment if given. */
  restart(name: ServiceName, env?: Record<string, string>): Promise<void>;
  /** Resolves when the service's current process exits. */
  exited(name: ServiceName): Promise<number | null>;
  /** Starts one more orchestrator replica (for the two-replica test); @returns its index. */
  addOrchestrator(): Promise<ServiceProcess>;
  /** Everything a service's current process printed. */
  output(name: ServiceName): string;
  /** Everything every process of a service printed, the killed ones first (drills save it). */
  history(name: ServiceName): string;
  /** Pid of a service's current process (drills read its RSS and open fds). */
  pid(name: ServiceName): number | undefined;
  /** vm-runner addresses of the hosts, host 0 first. */
  hostAddresses: string[];
  /** Kills VM host `index` (1…): its vm-runner, its fsops and every process of its folder (its jobs). */
  killHost(index: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts persistence (on a fresh database), vm-runner (process backend label
 * `local`), fsops and the orchestrator, each as its own process the way `npm
 * start` does, under a fresh data directory.
 */
export async function startTestMesh(options: TestMeshOptions = {}): Promise<TestMesh> {
  const dataDir = await mkdtemp(join(tmpdir(), 'jobmesh-mesh-'));
  const database = options.database ?? (await createTestDatabase());
  const catalogPath = join(dataDir, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify({ labels: [{ name: 'local', aliases: ['process'], backend: 'process', slots: options.localSlots ?? 4 }, ...(options.labels ?? [])] }));
  const address = {} as Record<ServiceName, string>;
  const processes = new Map<ServiceName, ServiceProcess>();
  // Output of the processes a restart replaced, so a drill's log dump covers every life of a service.
  const past = new Map<ServiceName, string[]>();
  const extra: ServiceProcess[] = [];
  // Hosts 1…: their vm-runner and fsops processes and addresses.
  const moreHosts: Array<{ dir: string; vmRunner: ServiceProcess; fsops: ServiceProcess; vmRunnerAddress: string; fsopsAddress: string }> = [];
  const hostLists = (): Record<string, string> => moreHosts.length === 0 ? {} : {
    JOBMESH_VMRUNNER_ADDR: [address['vm-runner'], ...moreHosts.map((h) => h.vmRunnerAddress)].join(','),
    JOBMESH_FSOPS_ADDR: [address.fsops, ...moreHosts.map((h) => h.fsopsAddress)].join(','),
  };
  const envOf = (name: ServiceName): Record<string, string> => ({
    JOBMESH_LOG_LEVEL: 'info',
    JOBMESH_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    JOBMESH_PERSISTENCE_ADDR: address.persistence ?? '127.0.0.1:0',
    JOBMESH_VMRUNNER_ADDR: address['vm-runner'] ?? '127.0.0.1:0',
    JOBMESH_FSOPS_ADDR: address.fsops ?? '127.0.0.1:0',
    JOBMESH_ORCHESTRATOR_ADDR: address.orchestrator ?? '127.0.0.1:0',
    JOBMESH_VMRUNNER_CATALOG: catalogPath,
    JOBMESH_VMRUNNER_STATE_DIR: join(dataDir, 'vm-runner'),
    JOBMESH_FSOPS_WORKSPACE_ROOT: join(dataDir, 'workspaces'),
    // vm-runner accepts only workspaces inside fsops' root: the same folder.
    JOBMESH_VMRUNNER_WORKSPACE_ROOT: join(dataDir, 'workspaces'),
    JOBMESH_FSOPS_STAGING_ROOT: join(dataDir, 'staging'),
    JOBMESH_FSOPS_ARTIFACT_ROOT: join(dataDir, 'artifacts'),
    JOBMESH_VMRUNNER_OUTPUT_ROOT: join(dataDir, 'staging', 'outputs'),
    JOBMESH_FSOPS_MIRRORS_DIR: join(dataDir, 'mirrors'),
    JOBMESH_LEASE_MS: String(options.leaseMs ?? 2000),
    JOBMESH_SHUTDOWN_GRACE_MS: '2000',
    ...options.env,
    ...(name === 'orchestrator' ? hostLists() : {}),
    JOBMESH_SERVICE: name,
  });
  /** Starts the vm-runner and fsops of host `index` (1…) under their own folder. */
  const startHost = async (index: number) => {
    const dir = join(dataDir, `host-${index}`);
    const own = {
      JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', JOBMESH_FSOPS_ADDR: '127.0.0.1:0',
      JOBMESH_VMRUNNER_STATE_DIR: join(dir, 'vm-runner'), JOBMESH_FSOPS_WORKSPACE_ROOT: join(dir, 'workspaces'), JOBMESH_VMRUNNER_WORKSPACE_ROOT: join(dir, 'workspaces'),
      JOBMESH_FSOPS_STAGING_ROOT: join(dir, 'staging'), JOBMESH_VMRUNNER_OUTPUT_ROOT: join(dir, 'staging', 'outputs'), JOBMESH_FSOPS_MIRRORS_DIR: join(dir, 'mirrors'),
    };
    const vmRunner = spawnService('vm-runner', join(repoRoot, entries['vm-runner']), { ...envOf('vm-runner'), ...own, JOBMESH_SERVICE: 'vm-runner' });
    const fsops = spawnService('fsops', join(repoRoot, entries.fsops), { ...envOf('fsops'), ...own, JOBMESH_SERVICE: 'fsops' });
    extra.push(vmRunner, fsops);
    const [vmPort, fsPort] = await withDeadline(Promise.all([vmRunner.serving, fsops.serving]), 120_000, `host ${index} serving`).catch((error: Error) => {
      throw new Error(`${error.message}\n--- vm-runner ---\n${vmRunner.output().slice(-3000)}\n--- fsops ---\n${fsops.output().slice(-3000)}`);
    });
    moreHosts.push({ dir, vmRunner, fsops, vmRunnerAddress: `127.0.0.1:${vmPort}`, fsopsAddress: `127.0.0.1:${fsPort}` });
  };
  const start = async (name: ServiceName, env: Record<string, string> = {}) => {
    const service = spawnService(name, join(repoRoot, entries[name]), { ...envOf(name), ...env });
    const previous = processes.get(name);
    if (previous) past.set(name, [...(past.get(name) ?? []), previous.output()]);
    processes.set(name, service);
    const port = await withDeadline(service.serving, 120_000, `${name} serving`);
    address[name] = `127.0.0.1:${port}`;
  };
  const stopAll = async () => {
    for (const service of [...extra, ...[...processes.values()].reverse()]) {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
      await Promise.race([service.exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    }
  };
  try {
    // vm-runner and fsops need only persistence's address: they start side by side (a start takes
    // seconds on a busy host); the orchestrator needs all three.
    await start('persistence');
    const both = await Promise.allSettled([start('vm-runner'), start('fsops')]);
    for (const r of both) if (r.status === 'rejected') throw r.reason;
    for (let index = 1; index < (options.hosts ?? 1); index++) await startHost(index);
    await start('orchestrator');
  } catch (error) {
    await stopAll();
    throw error;
  }
  const metadata = new Metadata();
  if (options.token) metadata.set('authorization', `Bearer ${options.token}`);
  const apiOptions = { tls: options.tls, metadata };
  const api = {
    jobs: createClient(JobServiceService, address.orchestrator, apiOptions),
    operations: createClient(OperationServiceService, address.orchestrator, apiOptions),
    vms: createClient(VmServiceService, address.orchestrator, apiOptions),
    artifacts: createClient(ArtifactServiceService, address.orchestrator, apiOptions),
    pipelines: createClient(PipelineServiceService, address.orchestrator, apiOptions),
  };
  const store = createPersistenceClients(address.persistence, { tls: options.tls });
  return {
    dataDir,
    database,
    address,
    api,
    store,
    async kill(name) {
      const service = processes.get(name)!;
      service.child.kill('SIGKILL');
      await service.exited;
    },
    restart: (name, env) => start(name, env),
    exited: (name) => processes.get(name)!.exited,
    async addOrchestrator() {
      const service = spawnService('orchestrator', join(repoRoot, entries.orchestrator), { ...envOf('orchestrator'), JOBMESH_ORCHESTRATOR_ADDR: '127.0.0.1:0' });
      extra.push(service);
      await withDeadline(service.serving, 60_000, 'second orchestrator serving');
      return service;
    },
    output: (name) => processes.get(name)?.output() ?? '',
    history: (name) => [...(past.get(name) ?? []), processes.get(name)?.output() ?? ''].map((text, i) => `----- process ${i + 1} -----\n${text}`).join('\n'),
    pid: (name) => processes.get(name)?.child.pid,
    get hostAddresses() {
      return [address['vm-runner'], ...moreHosts.map((h) => h.vmRunnerAddress)];
    },
    async killHost(index) {
      const host = moreHosts[index - 1]!;
      host.vmRunner.child.kill('SIGKILL');
      host.fsops.child.kill('SIGKILL');
      await Promise.all([host.vmRunner.exited, host.fsops.exited]);
      killProcessesMentioning(host.dir);
    },
    async stop() {
      for (const client of [...Object.values(api), ...Object.values(store)]) client.close();
      await stopAll();
      // qemu guests run detached from vm-runner (by design): none may outlive the test.
      killProcessesMentioning(dataDir);
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
