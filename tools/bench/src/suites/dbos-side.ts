import { createTestDatabase } from '@jobmesh/persistence/testing';
import { packageVersion } from '../package-version.ts';
import { throughput } from '../repeat.ts';
import type { WorkflowSide } from './workflow-side.ts';

/**
 * DBOS Transact (`@dbos-inc/dbos-sdk`) running the same workflow of `steps` no-op steps in
 * this process, its system database a database of its own on the bench's Postgres. DBOS is a
 * process-wide singleton: launch this once per process.
 * @throws Error when the package cannot be loaded or DBOS cannot launch
 */
export async function startDbosSide(steps: number): Promise<WorkflowSide & { version: string }> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const database = await createTestDatabase();
  let stepMs: number[] = [];
  const noop = async (i: number) => i;
  const workflow = DBOS.registerWorkflow(async () => {
    for (let i = 0; i < steps; i++) {
      const began = performance.now();
      await DBOS.runStep(() => noop(i), { name: `step-${i}` });
      stepMs.push(performance.now() - began);
    }
    return null;
  }, { name: 'bench-five-steps' });
  DBOS.setConfig({ name: 'jobmesh-bench', systemDatabaseUrl: database.url, logLevel: 'error' });
  try {
    await DBOS.launch();
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  return {
    version: packageVersion('@dbos-inc/dbos-sdk'),
    async run(count, concurrency) {
      stepMs = [];
      const { opsPerSec } = await throughput(count, concurrency, async () => {
        const handle = await DBOS.startWorkflow(workflow)();
        await handle.getResult();
      });
      return { perSec: opsPerSec, stepMs };
    },
    async stop() {
      await DBOS.shutdown();
      await database.drop();
    },
  };
}
