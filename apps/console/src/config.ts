import { addressSchema, refineTlsEnv, serviceAddressDefaults, tlsEnvShape, toTlsConfig } from '@jobmesh/config';
import { z } from 'zod';

const integer = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const list = z.string().default('').transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));

/** Environment of the console, every variable with its default. */
export const consoleConfigSchema = z
  .object({
    /** Address the console's HTTP server listens on. @default 127.0.0.1:8080 */
    JOBMESH_CONSOLE_ADDR: addressSchema.default('127.0.0.1:8080'),
    /** The public API (as the CLI reads it). @default JOBMESH_ORCHESTRATOR_ADDR */
    JOBMESH_ADDR: addressSchema.optional(),
    /** The public API when JOBMESH_ADDR is unset. @default 127.0.0.2:50051 */
    JOBMESH_ORCHESTRATOR_ADDR: addressSchema.default(serviceAddressDefaults.orchestrator),
    /**
     * Host names (as browsers send them in `Host`) the console answers besides loopback names and
     * its own listen host, comma-separated, e.g. `ci.example.com`. Other hosts get 421: a page of
     * another site cannot reach the console through DNS rebinding. @default none
     */
    JOBMESH_CONSOLE_PUBLIC_HOSTS: list,
    /** How often the live jobs table asks the API for its page, in ms. @default 1000 */
    JOBMESH_CONSOLE_POLL_MS: integer(100, 60_000, 1000),
    /** Folder of the built front end; built there at start-up when missing or stale. @default apps/console/dist */
    JOBMESH_CONSOLE_DIST_DIR: z.string().min(1).optional(),
    /** Time open requests get at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /** TLS towards the orchestrator, as the CLI's (`{service}` in JOBMESH_TLS_CERT/KEY is `client`). */
    ...tlsEnvShape,
  })
  .superRefine(refineTlsEnv)
  .transform((env) => ({
    address: env.JOBMESH_CONSOLE_ADDR,
    orchestratorAddress: env.JOBMESH_ADDR ?? env.JOBMESH_ORCHESTRATOR_ADDR,
    publicHosts: env.JOBMESH_CONSOLE_PUBLIC_HOSTS,
    pollMs: env.JOBMESH_CONSOLE_POLL_MS,
    distDir: env.JOBMESH_CONSOLE_DIST_DIR,
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    tls: toTlsConfig(env, 'client'),
  }));

/** The console's parsed configuration. */
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
