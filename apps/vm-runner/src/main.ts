import { assertSupportedNode, loadConfigOrExit } from '@jobmesh/config';
import { startTelemetry } from '@jobmesh/telemetry';
import { vmRunnerConfigSchema } from './config.ts';

assertSupportedNode();
const config = loadConfigOrExit('vm-runner', vmRunnerConfigSchema);
const telemetry = await startTelemetry({ serviceName: 'vm-runner' });
// Everything that loads grpc-js comes after the telemetry hook, so it is instrumented.
const { onShutdownSignal } = await import('@jobmesh/grpc-kit');
const { createLogger } = await import('@jobmesh/logger');
const { startVmRunner } = await import('./start-vm-runner.ts');
const logger = createLogger('vm-runner');

try {
  const running = await startVmRunner(config, logger);
  logger.info('vm-runner serving', { address: config.address, port: running.port, stateDir: config.stateDir, host: config.host });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await running.stop();
    await telemetry.shutdown();
  });
} catch (error) {
  logger.error('vm-runner failed to start', { error });
  await telemetry.shutdown();
  process.exit(1);
}
