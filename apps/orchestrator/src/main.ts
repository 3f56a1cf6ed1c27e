import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { onShutdownSignal } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { orchestratorConfigSchema } from './config.ts';
import { startOrchestrator } from './start-orchestrator.ts';

assertSupportedNode();
const config = loadConfigOrExit('orchestrator', orchestratorConfigSchema);
const logger = createLogger('orchestrator');

try {
  const running = await startOrchestrator(config, logger);
  logger.info('orchestrator serving', { address: config.address, port: running.port });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
  });
} catch (error) {
  logger.error('orchestrator failed to start', { error });
  process.exit(1);
}
