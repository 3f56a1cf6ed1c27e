import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { onShutdownSignal } from '@jobmesh/grpc-kit';
import { createLogger } from '@jobmesh/logger';
import { fsopsConfigSchema } from './config.ts';
import { startFsops } from './start-fsops.ts';

assertSupportedNode();
const config = loadConfigOrExit('fsops', fsopsConfigSchema);
const logger = createLogger('fsops');

try {
  const running = await startFsops(config, logger);
  logger.info('fsops serving', { address: config.address, port: running.port, roots: running.roots, mirrorsDir: config.mirrorsDir });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
  });
} catch (error) {
  logger.error('fsops failed to start', { error });
  process.exit(1);
}
