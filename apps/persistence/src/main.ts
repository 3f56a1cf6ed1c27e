import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { onShutdownSignal } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { persistenceConfigSchema } from './config.ts';
import { startPersistence } from './start-persistence.ts';

assertSupportedNode();
const config = loadConfigOrExit('persistence', persistenceConfigSchema);
const logger = createLogger('persistence');

try {
  const running = await startPersistence(config, logger);
  logger.info('persistence serving', { address: config.address, port: running.port });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
  });
} catch (error) {
  logger.error('persistence failed to start', { error });
  process.exit(1);
}
