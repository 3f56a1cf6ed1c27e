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

/**
 * Removes what an aborted earlier run of `project` left in a kept engine (containers, then
 * networks and volumes, found by compose's project label), so a run never starts on old data.
 */
export async function removeComposeProjectLeftovers(env: Record<string, string>, project: string): Promise<void> {
  const filter = `label=com.docker.compose.project=${project}`;
  const ids = async (args: string[]) => (await commandOutput('docker', [...args, '--filter', filter, '-q'], { env })).split('\n').filter(Boolean);
  const remove = async (args: string[], found: string[]) => {
    if (found.length) await commandOutput('docker', [...args, ...found], { env });
  };
  await remove(['rm', '-f', '-v'], await ids(['ps', '-a']));
  await remove(['network', 'rm'], await ids(['network', 'ls']));
  await remove(['volume', 'rm', '-f'], await ids(['volume', 'ls']));
}
