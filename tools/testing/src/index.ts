export { spawnService, type ServiceProcess } from './spawn-service.ts';
