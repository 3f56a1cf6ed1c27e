// First: sizes the libuv threadpool before anything starts it.
import './threadpool-size.ts';
import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { startTelemetry } from '@jobmesh/telemetry';
import { fsopsConfigSchema } from './config.ts';

assertSupportedNode();
const config = loadConfigOrExit('fsops', fsopsConfigSchema);
const telemetry = await startTelemetry({ serviceName: 'fsops' });
// Everything that loads grpc-js comes after the telemetry hook, so it is instrumented.
const { onShutdownSignal } = await import('@jobmesh/grpc-kit');
const { createLogger } = await import('@jobmesh/logger');
const { startFsops } = await import('./start-fsops.ts');
const logger = createLogger('fsops');

try {
  const running = await startFsops(config, logger);
  logger.info('fsops serving', { address: config.address, port: running.port, roots: running.roots, mirrorsDir: config.mirrorsDir });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
    await telemetry.shutdown();
  });
} catch (error) {
  logger.error('fsops failed to start', { error });
  await telemetry.shutdown();
  process.exit(1);
}
