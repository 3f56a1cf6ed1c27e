import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.ts';

/** The job carried by a seed. */
export interface SeedPayload {
  /** Job script, run with `sh` in the guest's working directory. */
  script: string;
  /** Environment of the job; names must match `[A-Za-z_][A-Za-z0-9_]*`. */
  env: Record<string, string>;
  /** Path of a tar file unpacked into the job's working directory before the script runs. */
  workspaceTar?: string;
  /** NoCloud instance id (`meta-data`). */
  instanceId: string;
  /** NoCloud `user-data` (a `#cloud-config`); @default a comment-only cloud-config */
  userData?: string;
}

/** A genisoimage graft point `isoPath=hostPath`; `=` and backslashes in the host path are escaped. */
function graft(isoPath: string, hostPath: string): string {
  return `${isoPath}=${hostPath.replaceAll('\\', '\\\\').replaceAll('=', '\\=')}`;
}

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes a NoCloud `cidata` ISO (genisoimage, Joliet + Rock Ridge) holding `user-data`,
 * `meta-data` and the job under `jobmesh/`: `script.sh`, `env` (lines `KEY=<base64 value>`)
 * and the optional `workspace.tar`. Built in a temporary directory beside `seedPath`, then
 * renamed into place, so a reader never sees half a seed.
 *
 * @throws Error on an invalid environment variable name, or when genisoimage is missing or fails.
 */
export async function createSeed(seedPath: string, payload: SeedPayload): Promise<void> {
  for (const name of Object.keys(payload.env)) {
    if (!envName.test(name)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
  }
  const target = path.resolve(seedPath);
  await mkdir(path.dirname(target), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(target), '.seed-'));
  try {
    await mkdir(path.join(staging, 'root/jobmesh'), { recursive: true });
    const root = path.join(staging, 'root');
    await writeFile(path.join(root, 'meta-data'), `instance-id: ${payload.instanceId}\nlocal-hostname: jobmesh-guest\n`);
    // Standard cloud images read this; the jobmesh test guest ignores it and runs jobmesh/ itself.
    await writeFile(path.join(root, 'user-data'), payload.userData ?? '#cloud-config\n# jobmesh: the job is in jobmesh/ on this seed (script.sh, env, workspace.tar).\n', { mode: 0o600 });
    await writeFile(path.join(root, 'jobmesh/script.sh'), payload.script, { mode: 0o700 });
    const envLines = Object.entries(payload.env).map(([name, value]) => `${name}=${Buffer.from(value).toString('base64')}\n`);
    await writeFile(path.join(root, 'jobmesh/env'), envLines.join(''), { mode: 0o600 });
    const grafts = ['user-data', 'meta-data', 'jobmesh/script.sh', 'jobmesh/env'].map((name) => graft(name, path.join(root, name)));
    if (payload.workspaceTar) grafts.push(graft('jobmesh/workspace.tar', path.resolve(payload.workspaceTar)));
    const iso = path.join(staging, 'seed.iso');
    await runCommand('genisoimage', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', '-graft-points', ...grafts]);
    // It holds the job's secret env: only vm-runner's user may read it.
    await chmod(iso, 0o600);
    await rename(iso, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
