import { addressSchema, refineTlsEnv, serviceAddressDefaults, tlsEnvShape, toTlsConfig } from '@jobmesh/config';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** Environment of the vm-runner service, every variable with its default. */
export const vmRunnerConfigSchema = z
  .object({
    /** Address to listen on. @default 127.0.0.2:50053 */
    JOBMESH_VMRUNNER_ADDR: addressSchema.default(serviceAddressDefaults.vmRunner),
    /** Persistence to record VM events in. @default 127.0.0.2:50052 */
    JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
    /** Root of local data. @default ./.jobmesh */
    JOBMESH_DATA_DIR: z.string().min(1).default('.jobmesh'),
    /** Where VM records, overlays, seeds and workspaces live. @default <JOBMESH_DATA_DIR>/vm-runner */
    JOBMESH_VMRUNNER_STATE_DIR: z.string().min(1).optional(),
    /** Where CollectOutputs stages a job's files (`<root>/<vm id>`): a folder inside fsops' staging root. @default <JOBMESH_DATA_DIR>/fsops/staging/outputs */
    JOBMESH_VMRUNNER_OUTPUT_ROOT: z.string().min(1).optional(),
    /** Folder every Prepare's workspace_path must lie in: fsops' workspace root (the two share it). @default <JOBMESH_DATA_DIR>/fsops/workspaces */
    JOBMESH_VMRUNNER_WORKSPACE_ROOT: z.string().min(1).optional(),
    /** Catalog file (JSON); unset = the built-in catalog (`local`, `debian-tcg`). */
    JOBMESH_VMRUNNER_CATALOG: z.string().min(1).optional(),
    /** Where the built-in catalog caches the test guest image. @default <repository>/.jobmesh/images */
    JOBMESH_VMRUNNER_IMAGE_CACHE_DIR: z.string().min(1).default(join(repositoryRoot, '.jobmesh', 'images')),
    /** qemu accelerator: `auto` probes KVM with a real boot and falls back to TCG. @default auto */
    JOBMESH_VMRUNNER_ACCEL: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
    /** Name of this host in VM records. @default the machine's hostname */
    JOBMESH_VMRUNNER_HOST: z.string().min(1).max(256).default(hostname()),
    /** Longest WaitReady when the request gives none, in ms. @default 60000 */
    JOBMESH_VMRUNNER_READY_TIMEOUT_MS: integer(100, 3_600_000, 60_000),
    /** Grace between the polite and the forced stop, in ms. @default 5000 */
    JOBMESH_VMRUNNER_STOP_GRACE_MS: integer(0, 600_000, 5_000),
    /** VM event records held while persistence is unreachable. @default 10000 */
    JOBMESH_VMRUNNER_RECORD_BUFFER_SIZE: integer(1, 1_000_000, 10_000),
    /** Time calls in flight get to finish at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /**
     * `1`: process labels (host jobs, no isolation) run even when JOBMESH_VMRUNNER_ADDR is not loopback;
     * `0`: never. @default unset: only while listening on loopback, or for labels with `"allowHostJobs": true`
     */
    JOBMESH_ALLOW_HOST_JOBS: z.enum(['0', '1']).optional(),
    /** TLS of this service's server and of its clients: JOBMESH_TLS_CERT/KEY/CA/CLIENT_AUTH/SERVER_NAME; all unset = plaintext. */
    ...tlsEnvShape,
  })
  .superRefine(refineTlsEnv)
  .transform((env) => ({
    address: env.JOBMESH_VMRUNNER_ADDR,
    persistenceAddress: env.JOBMESH_PERSISTENCE_ADDR,
    stateDir: resolve(env.JOBMESH_VMRUNNER_STATE_DIR ?? join(env.JOBMESH_DATA_DIR, 'vm-runner')),
    outputRoot: resolve(env.JOBMESH_VMRUNNER_OUTPUT_ROOT ?? join(env.JOBMESH_DATA_DIR, 'fsops', 'staging', 'outputs')),
    workspaceRoot: resolve(env.JOBMESH_VMRUNNER_WORKSPACE_ROOT ?? join(env.JOBMESH_DATA_DIR, 'fsops', 'workspaces')),
    catalogPath: env.JOBMESH_VMRUNNER_CATALOG,
    imageCacheDir: resolve(env.JOBMESH_VMRUNNER_IMAGE_CACHE_DIR),
    accel: env.JOBMESH_VMRUNNER_ACCEL,
    host: env.JOBMESH_VMRUNNER_HOST,
    readyTimeoutMs: env.JOBMESH_VMRUNNER_READY_TIMEOUT_MS,
    stopGraceMs: env.JOBMESH_VMRUNNER_STOP_GRACE_MS,
    recordBufferSize: env.JOBMESH_VMRUNNER_RECORD_BUFFER_SIZE,
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    allowHostJobs: env.JOBMESH_ALLOW_HOST_JOBS,
    tls: toTlsConfig(env, 'vm-runner'),
  }));

/** The parsed configuration. */
export type VmRunnerConfig = z.infer<typeof vmRunnerConfigSchema>;
