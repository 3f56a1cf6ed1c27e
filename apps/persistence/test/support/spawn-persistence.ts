import { fileURLToPath } from 'node:url';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A persistence process started the way `nx run persistence:serve` starts it. */
export type PersistenceProcess = ServiceProcess;

/** Spawns `node apps/persistence/src/main.ts` with the given environment on 127.0.0.1:0. */
export function spawnPersistence(env: Record<string, string>): PersistenceProcess {
  return spawnService('persistence', mainPath, { JOBMESH_PERSISTENCE_ADDR: '127.0.0.1:0', ...env });
}
