import { ArtifactStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/artifacts.ts';
import { FsJobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/fs_jobs.ts';
import { JobStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/jobs.ts';
import { JobLogStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/logs.ts';
import { VmStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/vms.ts';
import { WorkflowStoreServiceService } from '@jobmesh/contracts/jobmesh/persistence/v1/workflows.ts';
import { createClient, type ClientOptions } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { fileURLToPath } from 'node:url';
import { persistenceConfigSchema } from '../../src/config.ts';
import { startPersistence } from '../../src/start-persistence.ts';
import { createTestDatabase, type TestDatabase } from './create-test-database.ts';

/** Real gRPC clients of every persistence store. */
export function createPersistenceClients(address: string, options?: ClientOptions) {
  return {
    jobs: createClient(JobStoreServiceService, address, options),
    logs: createClient(JobLogStoreServiceService, address, options),
    vms: createClient(VmStoreServiceService, address, options),
    fsJobs: createClient(FsJobStoreServiceService, address, options),
    workflows: createClient(WorkflowStoreServiceService, address, options),
    artifacts: createClient(ArtifactStoreServiceService, address, options),
  };
}
export type PersistenceClients = ReturnType<typeof createPersistenceClients>;

/** A persistence server on 127.0.0.1:0 over a fresh database, with clients. */
export interface TestPersistence {
  address: string;
  database: TestDatabase;
  clients: PersistenceClients;
  stop(): Promise<void>;
}

/** Starts the real persistence service in this process against a fresh database. */
export async function startTestPersistence(options: { database?: TestDatabase; env?: Record<string, string> } = {}): Promise<TestPersistence> {
  const database = options.database ?? (await createTestDatabase());
  const config = persistenceConfigSchema.parse({
    JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:0',
    DATABASE_URL: database.url,
    JOBMESH_MIGRATIONS_DIR: fileURLToPath(new URL('../../../../migrations', import.meta.url)),
    JOBMESH_SHUTDOWN_GRACE_MS: '1000',
    ...options.env,
  });
  const running = await startPersistence(config, createLogger('persistence', { level: 'warn' }));
  const address = `127.0.0.1:${running.port}`;
  const clients = createPersistenceClients(address);
  return {
    address,
    database,
    clients,
    async stop() {
      for (const client of Object.values(clients)) client.close();
      await running.stop();
      if (!options.database) await database.drop();
    },
  };
}
