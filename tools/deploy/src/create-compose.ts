import { runCommand } from './run-command.ts';

/** docker-compose bound to one project, files and environment. */
export interface Compose {
  project: string;
  /** Runs `docker-compose -p P -f F... ARGS`. @returns its stdout */
  run(args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Id of the (first) container of a service. */
  containerId(service: string): Promise<string>;
}

/**
 * docker-compose (1.29 from Debian or any later one) for `project`, with `files` in order
 * (later ones add to earlier ones) and `env` added to this process's environment.
 */
export function createCompose(root: string, project: string, files: readonly string[], env: Record<string, string>): Compose {
  const run = async (args: readonly string[], timeoutMs = 10 * 60_000) => {
    const flags = ['-p', project, ...files.flatMap((file) => ['-f', file]), '--ansi', 'never'];
    return (await runCommand('docker-compose', [...flags, ...args], { cwd: root, env, timeoutMs })).stdout;
  };
  return {
    project,
    run,
    async containerId(service) {
      const id = (await run(['ps', '-q', service])).trim().split('\n')[0];
      if (!id) throw new Error(`no container of ${service}`);
      return id;
    },
  };
}
