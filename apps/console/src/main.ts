import { assertSupportedNode, isLoopbackAddress, loadConfigOrExit } from '@jobmesh/config';
import { startTelemetry } from '@jobmesh/telemetry';
import { consoleConfigSchema } from './config.ts';

assertSupportedNode();
const config = loadConfigOrExit('console', consoleConfigSchema);
const telemetry = await startTelemetry({ serviceName: 'console' });
// Everything that loads grpc-js comes after the telemetry hook, so it is instrumented.
const { onShutdownSignal } = await import('@jobmesh/grpc-kit');
const { createLogger } = await import('@jobmesh/logger');
const { createPublicApi } = await import('./server/api/create-public-api.ts');
const { createConsoleServer } = await import('./server/create-console-server.ts');
const { ensureWebBuild } = await import('./server/static/ensure-web-build.ts');
const { refuseOpenApiOffLoopback } = await import('./server/session/refuse-open-api-off-loopback.ts');
const logger = createLogger('console');

try {
  const webDir = await ensureWebBuild(config.distDir, (line) => logger.info(line));
  const api = createPublicApi(config.orchestratorAddress, config.tls);
  if (!isLoopbackAddress(config.address)) await refuseOpenApiOffLoopback(api, config.address);
  const listenHost = config.address.slice(0, config.address.lastIndexOf(':')).toLowerCase();
  const server = createConsoleServer({ api, webDir, logger, pollMs: config.pollMs, allowedHosts: [...config.publicHosts, listenHost] });
  const port = await server.listen(config.address);
  const shownHost = ['0.0.0.0', '::', '[::]'].includes(listenHost) ? '127.0.0.1' : listenHost;
  logger.info('console serving', { address: config.address, port, url: `http://${shownHost}:${port}/`, orchestrator: config.orchestratorAddress });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await server.close(Math.min(config.shutdownGraceMs, 2000));
    api.close();
    await telemetry.shutdown();
  });
} catch (error) {
  logger.error('console failed to start', { error });
  await telemetry.shutdown();
  process.exit(1);
}
