import { hostname } from 'node:os';
import { createWorkflowRuntime, type ExecutionHooks } from '@jobmesh/durable';
import type { Logger } from '@jobmesh/logger';
import { createTokenAuthorizer } from './auth/create-token-authorizer.ts';
import { ensureTokenFile } from './auth/ensure-token-file.ts';
import { loadTokenFile } from './auth/load-token-file.ts';
import { createMeshClients } from './clients/create-mesh-clients.ts';
import type { OrchestratorConfig } from './config.ts';
import { createQueueGate } from './jobs/create-queue-gate.ts';
import { workflowNames } from './names.ts';
import { createRetentionTimer } from './retention/create-retention-timer.ts';
import { createRunJobWorkflow } from './run-job/run-job-workflow.ts';
import { createRunPipelineWorkflow } from './pipelines/run-pipeline-workflow.ts';
import { createSecretBox } from './secrets/create-secret-box.ts';
import { loadSecretsKey } from './secrets/load-secrets-key.ts';
import { createOrchestratorServer } from './server.ts';

/** A running orchestrator. */
export interface RunningOrchestrator {
  port: number;
  /** Drains API calls, then gives the leases of running workflows back for another replica. */
  stop(): Promise<void>;
}

/** Hooks that SIGKILL this process at a chosen checkpoint (JOBMESH_FAULT_CRASH_AT), for crash drills. */
function crashDrillHooks(crashAt: string | undefined, logger: Logger): ExecutionHooks | undefined {
  if (!crashAt) return undefined;
  // The step name may hold a colon itself (durable.event:pipeline): split at the first one only.
  const at = crashAt.indexOf(':');
  const when = crashAt.slice(0, at) as 'before-checkpoint' | 'after-checkpoint';
  const step = crashAt.slice(at + 1);
  const crash = (name: string) => {
    if (name !== step) return;
    logger.warn('crash drill: killing this process', { at: crashAt });
    process.kill(process.pid, 'SIGKILL');
  };
  return when === 'before-checkpoint' ? { beforeCheckpoint: crash } : { afterCheckpoint: crash };
}

/** Starts the workflow runtime (claiming run-job workflows) and the public API. */
export async function startOrchestrator(config: OrchestratorConfig, logger: Logger): Promise<RunningOrchestrator> {
  if (config.generateTokens && config.tokensFile && (await ensureTokenFile(config.tokensFile))) {
    logger.warn('generated the token file with one admin token: read it there and hand out tokens (JOBMESH_TOKEN for the CLI)', { file: config.tokensFile });
  }
  // Both read before anything starts, so a bad token file or key stops start-up.
  const tokens = config.tokensFile ? await loadTokenFile(config.tokensFile) : undefined;
  const secretsKey = await loadSecretsKey(config.secretsKey);
  logger.info('security', {
    tls: config.tls ? (config.tls.clientAuth ? 'mutual' : 'server') : 'off',
    tokens: tokens ? `${tokens.length} from ${config.tokensFile}` : 'off (the public API is open)',
    secretsKey: secretsKey.origin,
  });
  const secrets = createSecretBox(secretsKey.key);
  const clients = createMeshClients(config);
  // VM hosts from DNS (JOBMESH_VM_HOSTS_DNS): read before serving, then every 15 s.
  let hostsSeen = '';
  const refreshHosts = async () => {
    const hosts = (await clients.refreshHosts()).sort().join(',');
    if (hosts === hostsSeen) return;
    hostsSeen = hosts;
    if (hosts) logger.info('VM hosts', { dns: config.vmHostsDns?.name, vmRunners: hosts.split(',') });
    else logger.warn('no VM host found through DNS yet: jobs wait', { dns: config.vmHostsDns?.name });
  };
  if (config.vmHostsDns) await refreshHosts();
  const hostTimer = config.vmHostsDns ? setInterval(() => void refreshHosts(), 15_000) : undefined;
  hostTimer?.unref();
  const runtime = createWorkflowRuntime({
    store: clients.workflows,
    logger: logger.child({ component: 'durable' }),
    owner: `orchestrator@${hostname()}:${process.pid}`,
    leaseMs: config.leaseMs,
    maxConcurrent: config.maxConcurrentJobs,
    hooks: crashDrillHooks(config.crashAt, logger),
  });
  runtime.register(workflowNames.runJob, createRunJobWorkflow({ clients, vmReadyTimeoutMs: config.vmReadyTimeoutMs, secrets, artifactLimits: config.artifactLimits, hostLostAfterMs: config.hostLostAfterMs }) as never);
  runtime.register(workflowNames.runPipeline, createRunPipelineWorkflow({ clients, runtime, secrets }) as never);
  const server = createOrchestratorServer({
    clients, runtime, logger, secrets, defaultJobTimeoutMs: config.defaultJobTimeoutMs,
    queueGate: createQueueGate(clients, { maxQueuedJobs: config.maxQueuedJobs }),
    tls: config.tls, authorize: tokens ? createTokenAuthorizer(tokens) : undefined, repoUrlRules: config.repoUrlRules,
    retentionDays: config.retention.days,
  });
  const port = await server.listen(config.address);
  runtime.run();
  const retention = createRetentionTimer(clients, { ...config.retention, logger: logger.child({ component: 'retention' }) });
  server.setServing(true);
  return {
    port,
    async stop() {
      clearInterval(hostTimer);
      retention.stop();
      await server.shutdown(config.shutdownGraceMs);
      await runtime.stop();
      clients.close();
    },
  };
}
