import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/** Who is building in a `.build-*` folder: written into it as `owner.json` right after it is made. */
export interface BuildOwner {
  pid: number;
  hostname: string;
  /** Linux boot id: after a reboot every old pid is meaningless. */
  bootId: string;
  startedAt: string;
}

const ownerFile = 'owner.json';
/** A folder without an owner file this old was left by a process that died while making it. */
const ownerlessGraceMs = 5 * 60_000;
/** A build by another host (a shared cache) counts as abandoned after this long. */
const foreignBuildMs = 6 * 60 * 60_000;

/**
 * Makes `buildDir` and records this process as its owner: the folder is the build's lock.
 *
 * @returns false when the folder already exists (someone else builds, or built and died).
 */
export async function claimBuild(buildDir: string): Promise<boolean> {
  try {
    // 0755: apt downloads as _apt, which must reach the tree inside.
    await mkdir(buildDir, { mode: 0o755 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const owner: BuildOwner = { pid: process.pid, hostname: hostname(), bootId: await bootId(), startedAt: new Date().toISOString() };
  await writeFile(path.join(buildDir, ownerFile), JSON.stringify(owner) + '\n');
  return true;
}

/** The owner of a build folder, if it has written one. */
export async function readBuildOwner(buildDir: string): Promise<BuildOwner | undefined> {
  return readFile(path.join(buildDir, ownerFile), 'utf8').then((text) => JSON.parse(text) as BuildOwner, () => undefined);
}

/** Whether the process that owns `buildDir` is gone (its build will never finish). */
export async function isBuildAbandoned(buildDir: string): Promise<boolean> {
  const owner = await readBuildOwner(buildDir);
  if (!owner) {
    const info = await stat(buildDir).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > ownerlessGraceMs;
  }
  if (owner.hostname !== hostname()) return Date.now() - Date.parse(owner.startedAt) > foreignBuildMs;
  if (owner.bootId !== (await bootId())) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
}
