import { addressSchema, parseRepoUrlAllowlist, refineTlsEnv, serviceAddressDefaults, tlsEnvShape, toTlsConfig } from '@jobmesh/config';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const directory = z.string().min(1).optional();

/** Environment of the fsops service, every variable with its default. */
export const fsopsConfigSchema = z
  .object({
    /** Address to listen on. @default 127.0.0.2:50054 */
    JOBMESH_FSOPS_ADDR: addressSchema.default(serviceAddressDefaults.fsops),
    /** Persistence to record fs jobs in. @default 127.0.0.2:50052 */
    JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
    /** Data directory of the mesh; the roots below default inside it. @default ./.jobmesh */
    JOBMESH_DATA_DIR: z.string().min(1).default('.jobmesh'),
    /** Root of the workspaces (checkouts). @default <JOBMESH_DATA_DIR>/fsops/workspaces */
    JOBMESH_FSOPS_WORKSPACE_ROOT: directory,
    /** Root of staging areas; also holds the transfer sidecars under `.fsops/`. @default <JOBMESH_DATA_DIR>/fsops/staging */
    JOBMESH_FSOPS_STAGING_ROOT: directory,
    /** Root of the artifact store. @default <JOBMESH_DATA_DIR>/fsops/artifacts */
    JOBMESH_FSOPS_ARTIFACT_ROOT: directory,
    /** Bare git mirrors, one per repository URL; not reachable through the API. @default <JOBMESH_DATA_DIR>/fsops/mirrors */
    JOBMESH_FSOPS_MIRRORS_DIR: directory,
    /** Bytes per read when hashing a copy (and per write of the fallback copy); files below this size are copied whole by worker threads, larger ones by the kernel (copy_file_range/reflink). @default 1048576 */
    JOBMESH_FSOPS_COPY_CHUNK_BYTES: integer(4096, 64 * 1024 * 1024, 1024 * 1024),
    /** Test-only throttle: sleep after each copied chunk, in ms, so a test can kill a transfer mid-way; set, copies run one file at a time, each committed on its own. @default 0 */
    JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS: integer(0, 10_000, 0),
    /** Longest git command (clone, fetch, checkout), in ms. @default 600000 */
    JOBMESH_FSOPS_GIT_TIMEOUT_MS: integer(1000, 24 * 3_600_000, 600_000),
    /**
     * The orchestrator's repository allowlist (same syntax); fsops reads its ssh entries only: git
     * gets fsops' SSH_AUTH_SOCK just for hosts an `ssh://<host>` or `ssh://*.<domain>` entry names
     * (never through `ssh://*`). @default unset: the agent goes to no host
     */
    JOBMESH_REPO_URL_ALLOW: z.string().optional(),
    /** Time calls in flight get to finish at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /** TLS of this service's server and of its clients: JOBMESH_TLS_CERT/KEY/CA/CLIENT_AUTH/SERVER_NAME; all unset = plaintext. */
    ...tlsEnvShape,
  })
  .superRefine(refineTlsEnv)
  .superRefine((env, ctx) => {
    for (const problem of parseRepoUrlAllowlist(env.JOBMESH_REPO_URL_ALLOW ?? '').problems) ctx.addIssue({ code: 'custom', path: ['JOBMESH_REPO_URL_ALLOW'], message: problem });
  })
  .transform((env) => ({
    address: env.JOBMESH_FSOPS_ADDR,
    persistenceAddress: env.JOBMESH_PERSISTENCE_ADDR,
    roots: {
      workspace: resolve(env.JOBMESH_FSOPS_WORKSPACE_ROOT ?? join(env.JOBMESH_DATA_DIR, 'fsops/workspaces')),
      staging: resolve(env.JOBMESH_FSOPS_STAGING_ROOT ?? join(env.JOBMESH_DATA_DIR, 'fsops/staging')),
      artifacts: resolve(env.JOBMESH_FSOPS_ARTIFACT_ROOT ?? join(env.JOBMESH_DATA_DIR, 'fsops/artifacts')),
    },
    mirrorsDir: resolve(env.JOBMESH_FSOPS_MIRRORS_DIR ?? join(env.JOBMESH_DATA_DIR, 'fsops/mirrors')),
    copyChunkBytes: env.JOBMESH_FSOPS_COPY_CHUNK_BYTES,
    copyChunkDelayMs: env.JOBMESH_FSOPS_COPY_CHUNK_DELAY_MS,
    gitTimeoutMs: env.JOBMESH_FSOPS_GIT_TIMEOUT_MS,
    sshAgentRules: parseRepoUrlAllowlist(env.JOBMESH_REPO_URL_ALLOW ?? '').rules,
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    tls: toTlsConfig(env, 'fsops'),
  }));

/** The parsed configuration. */
export type FsopsConfig = z.infer<typeof fsopsConfigSchema>;
