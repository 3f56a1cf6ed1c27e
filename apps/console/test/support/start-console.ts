import { fileURLToPath } from 'node:url';
import { withDeadline } from '@jobmesh/grpc-kit/testing';
import { spawnService, type ServiceProcess } from '@jobmesh/testing-tools';

const entry = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** A console process on a free port of 127.0.0.1. */
export interface TestConsole {
  url: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * Starts `apps/console/src/main.ts` as its own process (building the front end when missing or
 * stale, as `npm start` does) against the public API at `orchestrator`.
 */
export async function startConsole(orchestrator: string, env: Record<string, string> = {}): Promise<TestConsole> {
  const service = spawnService('console', entry, { JOBMESH_CONSOLE_ADDR: '127.0.0.1:0', JOBMESH_ADDR: orchestrator, JOBMESH_CONSOLE_POLL_MS: '300', ...env });
  const port = await withDeadline(service.serving, 120_000, 'console serving');
  return {
    url: `http://127.0.0.1:${port}`,
    process: service,
    async stop() {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
      await Promise.race([service.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    },
  };
}
