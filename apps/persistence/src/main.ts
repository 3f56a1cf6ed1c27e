import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { startTelemetry } from '@jobmesh/telemetry';
import { persistenceConfigSchema } from './config.ts';

assertSupportedNode();
const config = loadConfigOrExit('persistence', persistenceConfigSchema);
const telemetry = await startTelemetry({ serviceName: 'persistence' });
// Everything that loads grpc-js or pg comes after the telemetry hook, so they are instrumented.
const { onShutdownSignal } = await import('@jobmesh/grpc-kit');
const { createLogger } = await import('@jobmesh/logger');
const { startPersistence } = await import('./start-persistence.ts');
const logger = createLogger('persistence');

try {
  const running = await startPersistence(config, logger);
  logger.info('persistence serving', { address: config.address, port: running.port });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
    await telemetry.shutdown();
  });
} catch (error) {
  logger.error('persistence failed to start', { error });
  await telemetry.shutdown();
  process.exit(1);
}
