import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { startTelemetry } from '@jobmesh/telemetry';
import { orchestratorConfigSchema } from './config.ts';

assertSupportedNode();
const config = loadConfigOrExit('orchestrator', orchestratorConfigSchema);
const telemetry = await startTelemetry({ serviceName: 'orchestrator' });
// Everything that loads grpc-js comes after the telemetry hook, so it is instrumented.
const { onShutdownSignal } = await import('@jobmesh/grpc-kit');
const { createLogger } = await import('@jobmesh/logger');
const { startOrchestrator } = await import('./start-orchestrator.ts');
const logger = createLogger('orchestrator');

try {
  const running = await startOrchestrator(config, logger);
  logger.info('orchestrator serving', { address: config.address, port: running.port });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
    await telemetry.shutdown();
  });
} catch (error) {
  logger.error('orchestrator failed to start', { error });
  await telemetry.shutdown();
  process.exit(1);
}
