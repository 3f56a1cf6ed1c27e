import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMentioning } from '@jobmesh/testing-tools';
import { acquireDirLock } from './acquire-dir-lock.ts';
import { commandOutput, runCommand } from './run-command.ts';

/** A Docker engine of our own: its socket, and how to stop it and remove what it made. */
export interface PrivateDocker {
  /** `unix://<socket>`, for DOCKER_HOST. */
  host: string;
  /** The environment docker and docker-compose need to talk to it (DOCKER_HOST, no BuildKit). */
  env: Record<string, string>;
  /** dockerd's own log. */
  logFile: string;
  /** Whether the image cache (data root) is the one kept between runs. */
  warmCache: boolean;
  /**
   * Stops dockerd (SIGTERM, SIGKILL after `graceMs`), then removes its exec root, socket, pid
   * file, bridge and the iptables rules naming the bridge or its subnet. The data root stays
   * when it is the kept cache.
   * @returns pids still mentioning the private folder afterwards (should be none).
   */
  stop(graceMs?: number): Promise<number[]>;
}

/** Options of startPrivateDocker. */
export interface PrivateDockerOptions {
  /**
   * Data root kept between runs (images and build layers), used when no other run holds it;
   * else a fresh one under the private folder, removed at stop.
   */
  cacheDir: string;
  /** Where dockerd's log goes. */
  logFile: string;
  /** How long to wait for the API. @default 60000 */
  startTimeoutMs?: number;
}

/**
 * Why a private dockerd cannot run here ('' when it can): it needs root, dockerd and iptables.
 */
export async function privateDockerUnavailable(): Promise<string> {
  if (process.getuid?.() !== 0) return 'a private dockerd needs root (bridge, iptables, cgroups)';
  for (const tool of ['dockerd', 'docker', 'docker-compose', 'iptables', 'ip']) {
    if (!(await commandOutput('sh', ['-c', `command -v ${tool}`]).catch(() => ''))) {
      return `${tool} is not installed (apt-get install docker.io docker-compose iptables iproute2)`;
    }
  }
  return '';
}

/**
 * Starts a dockerd on private paths so it cannot clash with another engine on the machine:
 * its own socket, exec root and pid file in a fresh folder under /tmp (short: containerd's
 * socket paths are limited to 107 bytes), its own bridge (`jmd-<random>`) on a free 10.x
 * subnet and its own address pool for compose networks.
 * @throws Error when dockerd does not answer within the timeout (its log is in the message)
 */
export async function startPrivateDocker(options: PrivateDockerOptions): Promise<PrivateDocker> {
  const id = randomBytes(4).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'jmd-'));
  const socket = join(dir, 'docker.sock');
  const bridge = `jmd-${id}`;
  const octet = await freeTenOctet();
  const subnet = `10.${octet}.0.0/24`;
  await mkdir(options.cacheDir, { recursive: true });
  const lock = await acquireDirLock(join(options.cacheDir, 'lock'));
  const dataRoot = lock ? join(options.cacheDir, 'data-root') : join(dir, 'data-root');
  await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await runCommand('ip', ['addr', 'add', `10.${octet}.0.1/24`, 'dev', bridge]);
  await runCommand('ip', ['link', 'set', bridge, 'up']);

  const log = openSync(options.logFile, 'a');
  const child = spawn('dockerd', [
    '--data-root', dataRoot, '--exec-root', join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', join(dir, 'docker.pid'),
    '--bridge', bridge, '--default-address-pool', `base=10.${octet}.128.0/17,size=24`, '--storage-driver', 'overlay2',
  ], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' };

  const stop = async (graceMs = 30_000): Promise<number[]> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await runCommand('ip', ['link', 'delete', bridge]).catch(() => undefined);
    await removeIptablesRules([bridge, `10.${octet}.`]);
    await lock?.release();
    await rm(dir, { recursive: true, force: true });
    return processesMentioning(dir);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (await commandOutput('docker', ['version', '--format', '{{.Server.Version}}'], { env }).catch(() => '')) {
      return { host: env.DOCKER_HOST, env, logFile: options.logFile, warmCache: lock !== undefined, stop };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop(5000);
  throw new Error(`dockerd did not start; see ${options.logFile}`);
}

/** A second octet x such that no route of this host lies in 10.x.0.0/16. */
async function freeTenOctet(): Promise<number> {
  const routes = await commandOutput('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const octet = 200 + (randomBytes(1)[0]! % 50);
    if (!routes.includes(`10.${octet}.`)) return octet;
  }
  throw new Error('no free 10.x.0.0/16 subnet for a private bridge');
}

/** Deletes the rules of the filter and nat tables that mention any of `needles`. */
async function removeIptablesRules(needles: string[]): Promise<void> {
  for (const table of ['nat', 'filter']) {
    const rules = await commandOutput('iptables', ['-t', table, '-S']).catch(() => '');
    for (const rule of rules.split('\n')) {
      if (!rule.startsWith('-A ') || !needles.some((needle) => rule.includes(needle))) continue;
      await runCommand('iptables', ['-t', table, '-D', ...rule.slice(3).trim().split(/\s+/)]).catch(() => undefined);
    }
  }
}
