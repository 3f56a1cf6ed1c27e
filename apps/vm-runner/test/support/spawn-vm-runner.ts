import { fileURLToPath } from 'node:url';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A vm-runner process started the way `nx run vm-runner:serve` starts it. */
export type VmRunnerProcess = ServiceProcess;

/** Spawns `node apps/vm-runner/src/main.ts` on 127.0.0.1:0 with the given environment. */
export function spawnVmRunner(env: Record<string, string>): VmRunnerProcess {
  return spawnService('vm-runner', mainPath, { JOBMESH_VMRUNNER_ADDR: '127.0.0.1:0', ...env });
}
