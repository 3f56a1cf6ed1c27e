export { spawnService, type ServiceProcess } from './spawn-service.ts';
export { skipTest } from './skip-test.ts';
export { killProcessesMentioning, processesMentioning } from './processes-mentioning.ts';
