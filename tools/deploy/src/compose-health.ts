import type { Compose } from './create-compose.ts';
import { commandOutput } from './run-command.ts';

/**
 * Polls `check` every 500 ms until it resolves true (a rejection counts as false).
 * @throws Error naming `label` once `ms` have passed
 */
export async function waitUntil(check: () => Promise<boolean>, ms: number, label: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${label}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Waits until the container of each service reports its health check `healthy`.
 * @throws Error naming the services that are not, with their last health-check output
 */
export async function waitForHealthy(compose: Compose, env: Record<string, string>, services: readonly string[], ms: number): Promise<void> {
  const healthOf = async (service: string) =>
    commandOutput('docker', ['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', await compose.containerId(service)], { env });
  try {
    await waitUntil(async () => (await Promise.all(services.map(healthOf))).every((state) => state === 'running healthy'), ms, 'services healthy');
  } catch (error) {
    const states = await Promise.all(services.map(async (service) => `${service}: ${await healthOf(service).catch((e: Error) => e.message)}`));
    throw new Error(`${(error as Error).message}; ${states.join(', ')}`, { cause: error });
  }
}

/** Containers, networks and volumes still labelled with the compose project, as `kind name` lines. */
export async function composeProjectLeftovers(env: Record<string, string>, project: string): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${project}`;
  const list = async (kind: string, args: string[]) =>
    (await commandOutput('docker', args, { env })).split('\n').filter(Boolean).map((name) => `${kind} ${name}`);
  return [
    ...(await list('container', ['ps', '-a', '--filter', filter, '--format', '{{.Names}}'])),
    ...(await list('network', ['network', 'ls', '--filter', filter, '--format', '{{.Name}}'])),
    ...(await list('volume', ['volume', 'ls', '--filter', filter, '--format', '{{.Name}}'])),
  ];
}
