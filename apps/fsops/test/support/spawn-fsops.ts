import { fileURLToPath } from 'node:url';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** An fsops process started the way `nx run fsops:serve` starts it. */
export type FsopsProcess = ServiceProcess;

/** Spawns `node apps/fsops/src/main.ts` with the given environment on 127.0.0.1:0. */
export function spawnFsops(env: Record<string, string>): FsopsProcess {
  return spawnService('fsops', mainPath, { JOBMESH_FSOPS_ADDR: '127.0.0.1:0', ...env });
}
