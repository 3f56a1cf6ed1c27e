import { addressSchema, serviceAddressDefaults } from '@jobmesh/config';
import { z } from 'zod';

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** Environment of the orchestrator, every variable with its default. */
export const orchestratorConfigSchema = z
  .object({
    /** Address to listen on. @default 127.0.0.1:50051 */
    JOBMESH_ORCHESTRATOR_ADDR: addressSchema.default(serviceAddressDefaults.orchestrator),
    /** persistence. @default 127.0.0.1:50052 */
    JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
    /** vm-runner. @default 127.0.0.1:50053 */
    JOBMESH_VMRUNNER_ADDR: addressSchema.default(serviceAddressDefaults.vmRunner),
    /** fsops. @default 127.0.0.1:50054 */
    JOBMESH_FSOPS_ADDR: addressSchema.default(serviceAddressDefaults.fsops),
    /** Workflow lease, in ms: how long a crashed orchestrator's jobs wait before another claims them. @default 10000 */
    JOBMESH_LEASE_MS: integer(500, 600_000, 10_000),
    /** Workflows this orchestrator runs at once. @default 64 */
    JOBMESH_MAX_CONCURRENT_JOBS: integer(1, 10_000, 64),
    /** Timeout of a job that names none, in ms. @default 3600000 */
    JOBMESH_DEFAULT_JOB_TIMEOUT_MS: integer(1000, 7 * 24 * 3_600_000, 3_600_000),
    /** Longest a guest may take to report ready, in ms. @default 180000 */
    JOBMESH_VM_READY_TIMEOUT_MS: integer(1000, 3_600_000, 180_000),
    /** Time calls in flight get at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /**
     * Crash drill only: `before-checkpoint:<step>` or `after-checkpoint:<step>` makes the
     * process SIGKILL itself there, the first time a workflow gets there. Unset in production.
     */
    JOBMESH_FAULT_CRASH_AT: z.string().regex(/^(before|after)-checkpoint:[a-z.-]+$/, 'must be before-checkpoint:<step> or after-checkpoint:<step>').optional(),
  })
  .transform((env) => ({
    address: env.JOBMESH_ORCHESTRATOR_ADDR,
    persistenceAddress: env.JOBMESH_PERSISTENCE_ADDR,
    vmRunnerAddress: env.JOBMESH_VMRUNNER_ADDR,
    fsopsAddress: env.JOBMESH_FSOPS_ADDR,
    leaseMs: env.JOBMESH_LEASE_MS,
    maxConcurrentJobs: env.JOBMESH_MAX_CONCURRENT_JOBS,
    defaultJobTimeoutMs: env.JOBMESH_DEFAULT_JOB_TIMEOUT_MS,
    vmReadyTimeoutMs: env.JOBMESH_VM_READY_TIMEOUT_MS,
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    crashAt: env.JOBMESH_FAULT_CRASH_AT,
  }));

/** The parsed configuration. */
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;
