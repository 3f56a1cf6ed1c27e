import { addressSchema, refineTlsEnv, serviceAddressDefaults, tlsEnvShape, toTlsConfig } from '@jobmesh/config';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const integer = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** Environment of the persistence service, every variable with its default. */
export const persistenceConfigSchema = z
  .object({
    /** Address to listen on. @default 127.0.0.2:50052 */
    JOBMESH_PERSISTENCE_ADDR: addressSchema.default(serviceAddressDefaults.persistence),
    /** Postgres to use; unset = start an embedded Postgres under JOBMESH_DATA_DIR. */
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    /** Where the embedded Postgres keeps its data. @default ./.jobmesh */
    JOBMESH_DATA_DIR: z.string().min(1).default('.jobmesh'),
    /** Port of the embedded Postgres; unset = a free one. */
    JOBMESH_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** Folder of the numbered migration files. @default <repository>/migrations */
    JOBMESH_MIGRATIONS_DIR: z.string().min(1).default(`${repositoryRoot}migrations`),
    /** Postgres connections at most. @default 10 */
    JOBMESH_DB_POOL_SIZE: integer(1, 200, 10),
    /** Longest SQL statement, in ms. @default 30000 */
    JOBMESH_DB_STATEMENT_TIMEOUT_MS: integer(100, 3_600_000, 30_000),
    /** Time calls in flight get to finish at shutdown, in ms. @default 10000 */
    JOBMESH_SHUTDOWN_GRACE_MS: integer(0, 600_000, 10_000),
    /** TLS of this service's server and of its clients: JOBMESH_TLS_CERT/KEY/CA/CLIENT_AUTH/SERVER_NAME; all unset = plaintext. */
    ...tlsEnvShape,
  })
  .superRefine(refineTlsEnv)
  .transform((env) => ({
    address: env.JOBMESH_PERSISTENCE_ADDR,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.JOBMESH_DATA_DIR,
    embeddedPostgresPort: env.JOBMESH_EMBEDDED_PG_PORT,
    migrationsDir: env.JOBMESH_MIGRATIONS_DIR,
    poolSize: env.JOBMESH_DB_POOL_SIZE,
    statementTimeoutMs: env.JOBMESH_DB_STATEMENT_TIMEOUT_MS,
    shutdownGraceMs: env.JOBMESH_SHUTDOWN_GRACE_MS,
    tls: toTlsConfig(env, 'persistence'),
  }));

/** The parsed configuration. */
export type PersistenceConfig = z.infer<typeof persistenceConfigSchema>;
