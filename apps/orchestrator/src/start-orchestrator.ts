import { hostname } from 'node:os';
import { createWorkflowRuntime } from '@jobmesh/durable';
import type { Logger } from '@jobmesh/logger';
import { createMeshClients } from './clients/create-mesh-clients.ts';
import type { OrchestratorConfig } from './config.ts';
import { workflowNames } from './names.ts';
import { createRunJobWorkflow } from './run-job/run-job-workflow.ts';
import { createOrchestratorServer } from './server.ts';

/** A running orchestrator. */
export interface RunningOrchestrator {
  port: number;
  /** Drains API calls, then gives the leases of running workflows back for another replica. */
  stop(): Promise<void>;
}

/** Starts the workflow runtime (claiming run-job workflows) and the public API. */
export async function startOrchestrator(config: OrchestratorConfig, logger: Logger): Promise<RunningOrchestrator> {
  const clients = createMeshClients(config);
  const runtime = createWorkflowRuntime({
    store: clients.workflows,
    logger: logger.child({ component: 'durable' }),
    owner: `orchestrator@${hostname()}:${process.pid}`,
    leaseMs: config.leaseMs,
    maxConcurrent: config.maxConcurrentJobs,
  });
  runtime.register(workflowNames.runJob, createRunJobWorkflow({ clients, vmReadyTimeoutMs: config.vmReadyTimeoutMs }) as never);
  const server = createOrchestratorServer({ clients, runtime, logger, defaultJobTimeoutMs: config.defaultJobTimeoutMs });
  const port = await server.listen(config.address);
  runtime.run();
  server.setServing(true);
  return {
    port,
    async stop() {
      await server.shutdown(config.shutdownGraceMs);
      await runtime.stop();
      clients.close();
    },
  };
}
