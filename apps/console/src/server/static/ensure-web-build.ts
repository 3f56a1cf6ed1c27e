import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

const consoleRoot = join(import.meta.dirname, '..', '..', '..');
/** Builds kept besides the current one (another process may still serve one). */
const keptBuilds = 2;

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (!entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

/** A hash of everything the build reads: the web sources, the shared types, the build script and the package (its versions). */
async function sourceHash(): Promise<string> {
  const files = [
    ...(await filesUnder(join(consoleRoot, 'src', 'web'))),
    ...(await filesUnder(join(consoleRoot, 'src', 'shared'))),
    join(import.meta.dirname, 'build-web.ts'),
    join(consoleRoot, 'package.json'),
  ];
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(consoleRoot, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

function runBuild(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'build-web.ts'), outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the web build failed (exit ${code}):\n${output.slice(-4000)}`))));
  });
}

/**
 * The folder of a build of the current web sources under `distRoot` (`<distRoot>/<source hash>`),
 * built now when missing or stale. Content-addressed and made by rename, so processes that
 * start together (parallel tests) never see a half-written build; older builds past the newest
 * few are removed.
 * @throws Error with Vite's output when the build fails
 */
export async function ensureWebBuild(distRoot = join(consoleRoot, 'dist'), onBuild: (line: string) => void = () => {}): Promise<string> {
  const hash = await sourceHash();
  const target = join(distRoot, hash);
  if (await exists(join(target, 'index.html'))) return target;
  await mkdir(distRoot, { recursive: true });
  const temporary = join(distRoot, `.building-${randomBytes(6).toString('hex')}`);
  onBuild(`building the web console into ${target}`);
  try {
    await runBuild(temporary);
    await rename(temporary, target).catch(async (error: NodeJS.ErrnoException) => {
      if (!(await exists(join(target, 'index.html')))) throw error; // another process built it first
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  const builds = await Promise.all((await readdir(distRoot)).filter((name) => name !== hash && !name.startsWith('.')).map(async (name) => ({ name, at: (await stat(join(distRoot, name))).mtimeMs })));
  for (const old of builds.sort((a, b) => b.at - a.at).slice(keptBuilds)) await rm(join(distRoot, old.name), { recursive: true, force: true });
  return target;
}
