import { addressSchema, defaultRepoUrlAllowlist, isLoopbackAddress, parseRepoUrlAllowlist, refineTlsEnv, serviceAddressDefaults, tlsEnvShape, toTlsConfig } from '@jobmesh/config';
import { z } from 'zod';

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
/** A per-kind retention override in days; unset = JOBMESH_RETENTION_DAYS. */
const retentionDays = z.coerce.number().int().min(0).max(36_500).optional();

/** Environment of the orchestrator, every variable with its default. */
export const orchestratorConfigSchema = z
  .object({
    /** Address to listen on. @default 127.0.0.2:50051 */
    JOBMESH_ORCHESTRATOR_ADDR: addressSchema.default(serviceAddressDefaults.orchestrator),
    /** persistence. @default 127.0.0.2:50052 */
    JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
    /** vm-runner. @default 127.0.0.2:50053 */
    /** vm-runner, or several separated by commas: jobs go to one with a free slot of their label. @default 127.0.0.2:50053 */
    JOBMESH_VMRUNNER_ADDR: z.string().default(serviceAddressDefaults.vmRunner).pipe(z.string().transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean)).pipe(z.array(addressSchema).min(1, 'needs at least one address'))),
    /**
     * fsops, or one per vm-runner (same order, comma-separated): a VM host is a vm-runner and the
     * fsops that shares its workspace root; one address = every vm-runner shares that fsops. @default 127.0.0.2:50054
     */
    JOBMESH_FSOPS_ADDR: z.string().default(serviceAddressDefaults.fsops).pipe(z.string().transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean)).pipe(z.array(addressSchema).min(1, 'needs at least one address'))),
    /**
     * VM hosts from DNS: every address this name resolves to is one host (vm-runner and fsops on the
     * ports of JOBMESH_VM_HOSTS_PORTS), re-read every 15 s; e.g. a Kubernetes headless Service.
     * Replaces JOBMESH_VMRUNNER_ADDR / JOBMESH_FSOPS_ADDR as the host list. @default unset
     */
    JOBMESH_VM_HOSTS_DNS: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a DNS name').optional(),
    /** vm-runner and fsops ports of the hosts JOBMESH_VM_HOSTS_DNS finds. @default 50053,50054 */
    JOBMESH_VM_HOSTS_PORTS: z.string().default('50053,50054').pipe(z.string().regex(/^\d{1,5},\d{1,5}$/, 'must be VMRUNNER_PORT,FSOPS_PORT')),
    /** A VM host (its vm-runner or fsops) unreachable this long fails the job steps bound to it with HOST_LOST, in ms. @default 60000 */
    JOBMESH_HOST_LOST_AFTER_MS: integer(1000, 3_600_000, 60_000),
    /** Workflow lease, in ms: how long a crashed orchestrator's jobs wait before another claims them. @default 10000 */
    JOBMESH_LEASE_MS: integer(500, 600_000, 10_000),
    /** Workflows this orchestrator runs at once. @default 64 */
    JOBMESH_MAX_CONCURRENT_JOBS: integer(1, 10_000, 64),
    /** Jobs waiting in QUEUED past which SubmitJob answers RESOURCE_EXHAUSTED (QUEUE_FULL, retry hint); 0 = no limit. @default 10000 */
    JOBMESH_MAX_QUEUED_JOBS: integer(0, 10_000_000, 10_000),
    /** Timeout of a job that names none, in ms. @default 3600000 */
    JOBMESH_DEFAULT_JOB_TIMEOUT_MS: integer(1000, 7 * 24 * 3_600_000, 3_600_000),
    /** Longest a guest may take to report ready, in ms. @default 180000 */
    JOBMESH_VM_READY_TIMEOUT_MS: integer(1000, 3_600_000, 180_000),
    /** Most artifact files one job may produce; more fail the job (ARTIFACT_LIMIT_EXCEEDED). @default 1000 */
    JOBMESH_ARTIFACT_MAX_FILES: integer(1, 10_000, 1000),
    /** Most artifact bytes one job may produce in all. @default 1073741824 (1 GiB) */
    JOBMESH_ARTIFACT_MAX_BYTES: integer(1, Number.MAX_SAFE_INTEGER, 1024 ** 3),
    /** Days ended history is kept (jobs, logs, artifacts, VM records, fs jobs, unused git mirrors); 0 = forever. @default 30 */
    JOBMESH_RETENTION_DAYS: integer(0, 36_500, 30),
    /** Days ended jobs (with their events and workflows) are kept; 0 = forever. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_JOBS_DAYS: retentionDays,
    /** Days the logs of ended jobs are kept (never longer than their job); 0 = as long as the job. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_LOGS_DAYS: retentionDays,
    /** Days artifacts (manifests and folders) of ended jobs are kept (never longer than their job); 0 = as long as the job. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_ARTIFACTS_DAYS: retentionDays,
    /** Days records of destroyed VMs are kept; 0 = forever. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_VMS_DAYS: retentionDays,
    /** Days records of finished fs jobs are kept; 0 = forever. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_FS_JOBS_DAYS: retentionDays,
    /** Days a git mirror no checkout used is kept; 0 = forever. @default JOBMESH_RETENTION_DAYS */
    JOBMESH_RETENTION_MIRRORS_DAYS: retentionDays,
    /** How often this orchestrator applies retention, in ms (first run a minute after start); 0 = never (only AdminService/PruneHistory). @default 3600000 */
    JOBMESH_RETENTION_INTERVAL_MS: integer(0, 7 * 24 * 3_600_000, 3_600_000),
    /** Time calls in flight get at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /**
     * Crash drill only: `before-checkpoint:<step>` or `after-checkpoint:<step>` makes the
     * process SIGKILL itself there, the first time a workflow gets there. Unset in production.
     */
    JOBMESH_FAULT_CRASH_AT: z.string().regex(/^(before|after)-checkpoint:[a-z.:-]+$/, 'must be before-checkpoint:<step> or after-checkpoint:<step>').optional(),
    /**
     * Token file of the public API (`<role> <token>` per line); unset = no authentication, which
     * only a loopback JOBMESH_ORCHESTRATOR_ADDR allows (else mutual TLS is required). @default unset
     */
    JOBMESH_TOKENS_FILE: z.string().min(1).optional(),
    /** `1`: when JOBMESH_TOKENS_FILE does not exist, create it (0600) holding one new `admin` token. @default 0 */
    JOBMESH_TOKENS_GENERATE: z.enum(['0', '1']).default('0'),
    /**
     * Repository URLs SubmitJob accepts: `<scheme>://<host>` entries (host `*`, `*.domain` or one
     * host), `file://` or `file:///<folder>`, comma-separated. Others: PERMISSION_DENIED.
     * @default (also when empty) every https, http, ssh and git host; file:// too only when JOBMESH_ORCHESTRATOR_ADDR is loopback
     */
    JOBMESH_REPO_URL_ALLOW: z.string().optional(),
    /** Key of secret env values: 32 bytes as 64 hex digits or base64. @default JOBMESH_SECRETS_KEY_FILE, else <JOBMESH_DATA_DIR>/secrets.key (generated) */
    JOBMESH_SECRETS_KEY: z.string().min(1).optional(),
    /** File holding the key of secret env values (same forms as JOBMESH_SECRETS_KEY). @default unset */
    JOBMESH_SECRETS_KEY_FILE: z.string().min(1).optional(),
    /** Local data; holds the generated secrets key when no key is configured. @default ./.jobmesh */
    JOBMESH_DATA_DIR: z.string().min(1).default('.jobmesh'),
    /** TLS of this service's server and of its clients: JOBMESH_TLS_CERT/KEY/CA/CLIENT_AUTH/SERVER_NAME; all unset = plaintext. */
    ...tlsEnvShape,
  })
  .superRefine(refineTlsEnv)
  .superRefine((env, ctx) => {
    // An open API on an address others can reach lets anyone run commands (issue 18): refuse to start.
    const mutualTls = env.JOBMESH_TLS_CLIENT_AUTH === 'require';
    if (!isLoopbackAddress(env.JOBMESH_ORCHESTRATOR_ADDR) && !env.JOBMESH_TOKENS_FILE && !mutualTls) {
      ctx.addIssue({
        code: 'custom',
        path: ['JOBMESH_ORCHESTRATOR_ADDR'],
        message: `${env.JOBMESH_ORCHESTRATOR_ADDR} is reachable from other machines, and the public API would be open to anyone there: ` +
          'set JOBMESH_TOKENS_FILE (bearer tokens; JOBMESH_TOKENS_GENERATE=1 creates one) or JOBMESH_TLS_CLIENT_AUTH=require ' +
          'with JOBMESH_TLS_CERT, JOBMESH_TLS_KEY and JOBMESH_TLS_CA (mutual TLS), or listen on 127.0.0.1',
      });
    }
    for (const problem of parseRepoUrlAllowlist(env.JOBMESH_REPO_URL_ALLOW ?? '').problems) {
      ctx.addIssue({ code: 'custom', path: ['JOBMESH_REPO_URL_ALLOW'], message: problem });
    }
    if (env.JOBMESH_FSOPS_ADDR.length !== 1 && env.JOBMESH_FSOPS_ADDR.length !== env.JOBMESH_VMRUNNER_ADDR.length) {
      ctx.addIssue({ code: 'custom', path: ['JOBMESH_FSOPS_ADDR'], message: `needs one address, or one per vm-runner (${env.JOBMESH_VMRUNNER_ADDR.length}), in the same order; got ${env.JOBMESH_FSOPS_ADDR.length}` });
    }
    if (env.JOBMESH_TOKENS_GENERATE === '1' && !env.JOBMESH_TOKENS_FILE) {
      ctx.addIssue({ code: 'custom', path: ['JOBMESH_TOKENS_GENERATE'], message: 'needs JOBMESH_TOKENS_FILE, the file to create' });
    }
  })
  .transform((env) => ({
    address: env.JOBMESH_ORCHESTRATOR_ADDR,
    persistenceAddress: env.JOBMESH_PERSISTENCE_ADDR,
    // With hosts from DNS the lists start empty: refreshHosts fills them.
    vmRunnerAddresses: env.JOBMESH_VM_HOSTS_DNS ? [] : env.JOBMESH_VMRUNNER_ADDR,
    fsopsAddresses: env.JOBMESH_VM_HOSTS_DNS ? [] : env.JOBMESH_FSOPS_ADDR,
    hostLostAfterMs: env.JOBMESH_HOST_LOST_AFTER_MS,
    vmHostsDns: env.JOBMESH_VM_HOSTS_DNS
      ? { name: env.JOBMESH_VM_HOSTS_DNS, vmRunnerPort: Number(env.JOBMESH_VM_HOSTS_PORTS.split(',')[0]), fsopsPort: Number(env.JOBMESH_VM_HOSTS_PORTS.split(',')[1]) }
      : undefined,
    leaseMs: env.JOBMESH_LEASE_MS,
    maxConcurrentJobs: env.JOBMESH_MAX_CONCURRENT_JOBS,
    defaultJobTimeoutMs: env.JOBMESH_DEFAULT_JOB_TIMEOUT_MS,
    maxQueuedJobs: env.JOBMESH_MAX_QUEUED_JOBS,
    vmReadyTimeoutMs: env.JOBMESH_VM_READY_TIMEOUT_MS,
    artifactLimits: { maxFiles: env.JOBMESH_ARTIFACT_MAX_FILES, maxBytes: env.JOBMESH_ARTIFACT_MAX_BYTES },
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    retention: {
      intervalMs: env.JOBMESH_RETENTION_INTERVAL_MS,
      days: {
        jobs: env.JOBMESH_RETENTION_JOBS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
        logs: env.JOBMESH_RETENTION_LOGS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
        artifacts: env.JOBMESH_RETENTION_ARTIFACTS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
        vms: env.JOBMESH_RETENTION_VMS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
        fsJobs: env.JOBMESH_RETENTION_FS_JOBS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
        mirrors: env.JOBMESH_RETENTION_MIRRORS_DAYS ?? env.JOBMESH_RETENTION_DAYS,
      },
    },
    tls: toTlsConfig(env, 'orchestrator'),
    crashAt: env.JOBMESH_FAULT_CRASH_AT,
    tokensFile: env.JOBMESH_TOKENS_FILE,
    generateTokens: env.JOBMESH_TOKENS_GENERATE === '1',
    repoUrlRules: parseRepoUrlAllowlist(env.JOBMESH_REPO_URL_ALLOW?.trim() || defaultRepoUrlAllowlist(isLoopbackAddress(env.JOBMESH_ORCHESTRATOR_ADDR))).rules,
    secretsKey: { key: env.JOBMESH_SECRETS_KEY, keyFile: env.JOBMESH_SECRETS_KEY_FILE, dataDir: env.JOBMESH_DATA_DIR },
  }));

/** The parsed configuration. */
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;
