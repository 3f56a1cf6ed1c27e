import { join } from 'node:path';
import { commandOutput, runCommand } from './run-command.ts';

const standins = [
  { tag: 'postgres:16', folder: 'postgres' },
  { tag: 'jaegertracing/all-in-one:1.62.0', folder: 'jaeger' },
];

/**
 * Makes the images compose names for Postgres and the trace viewer when the engine has none:
 * no image registry is reachable here, so local stand-ins under the same names are built from
 * `tools/deploy/standins/<name>` on the test base (Debian's postgresql-15 as postgres:16; an
 * OTLP sink for jaegertracing/all-in-one). An image of that name that is not a stand-in (a real
 * one, pulled where a registry is reachable) is left alone.
 * @returns a line per image saying what it is
 */
export async function ensureStandinImages(env: Record<string, string>, baseImage: string, standinsDir: string): Promise<string[]> {
  const said: string[] = [];
  for (const { tag, folder } of standins) {
    const label = await commandOutput('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "org.jobmesh.standin"}}', tag], { env }).catch(() => undefined);
    if (label === '' || label === '<no value>') {
      said.push(`${tag}: the real image`);
      continue;
    }
    await runCommand('docker', ['build', '-q', '--build-arg', `BASE_IMAGE=${baseImage}`, '-t', tag, join(standinsDir, folder)], { env, timeoutMs: 15 * 60_000 });
    said.push(`${tag}: local stand-in (${await commandOutput('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "org.jobmesh.standin"}}', tag], { env })})`);
  }
  return said;
}
