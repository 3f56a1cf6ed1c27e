import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { debianImageFiles, type DebianImageManifest } from '@jobmesh/guest-images';
import { debianRecipe } from './debian-recipe.ts';
import { customizeScriptPath } from './read-debian-inputs.ts';
import { removeTree } from './remove-tree.ts';
import { runLogged } from './run-logged.ts';

/** Options of {@link buildDebianImage}. */
export interface BuildDebianImageOptions {
  /** Scratch folder (rootfs, raw disk); emptied when done. */
  workDir: string;
  /** Empty folder that receives the image files, `image.json` last. */
  outDir: string;
  hash: string;
  onProgress: (line: string) => void;
}

/**
 * Builds the image: mmdebstrap the bookworm tree (with `customize.sh` as its customize hook),
 * take the kernel and initramfs out of its `/boot`, make an ext4 filesystem of it in a sparse
 * raw file, and compress that to qcow2.
 *
 * @throws Error from the failing step, with its last output lines.
 */
export async function buildDebianImage(options: BuildDebianImageOptions): Promise<DebianImageManifest> {
  const { workDir, outDir, onProgress } = options;
  const started = performance.now();
  const step = async (name: string, work: () => Promise<void>) => {
    const began = performance.now();
    onProgress(`${name}...`);
    await work();
    onProgress(`${name}: done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  };
  const rootfs = path.join(workDir, 'rootfs');
  const raw = path.join(workDir, 'disk.raw');

  await step(`mmdebstrap ${debianRecipe.suite} (${debianRecipe.packages.length} packages and their dependencies)`, () =>
    runLogged('mmdebstrap', [
      '--variant=minbase',
      `--include=${debianRecipe.packages.join(',')}`,
      `--customize-hook=sh ${shellQuote(customizeScriptPath)} "$1"`,
      debianRecipe.suite,
      rootfs,
    ], { onLine: (line) => { if (/^[IWE]: /.test(line)) onProgress(`  ${line}`); } }),
  );

  const kernelVersion = await findKernelVersion(path.join(rootfs, 'boot'));
  await copyFile(path.join(rootfs, 'boot', `vmlinuz-${kernelVersion}`), path.join(outDir, debianImageFiles.kernel));
  await copyFile(path.join(rootfs, 'boot', `initrd.img-${kernelVersion}`), path.join(outDir, debianImageFiles.initrd));
  const packages = await installedVersions(rootfs);
  onProgress(`kernel ${kernelVersion}, cloud-init ${packages['cloud-init'] ?? '?'}, systemd ${packages['systemd-sysv'] ?? '?'}`);

  await step(`mkfs.ext4 -L ${debianRecipe.rootLabel} (${debianRecipe.diskBytes / 1024 ** 3} GiB sparse)`, async () => {
    const file = await open(raw, 'w');
    await file.truncate(debianRecipe.diskBytes).finally(() => file.close());
    await runLogged('mkfs.ext4', ['-q', '-F', '-L', debianRecipe.rootLabel, '-d', rootfs, raw]);
  });
  await removeTree(rootfs);
  const disk = path.join(outDir, debianImageFiles.disk);
  await step('qemu-img convert -O qcow2 -c', () => runLogged('qemu-img', ['convert', '-O', 'qcow2', '-c', raw, disk]));
  await removeTree(raw);
  const diskSha256 = await sha256File(disk);

  const manifest: DebianImageManifest = {
    name: debianRecipe.name,
    kernel: debianImageFiles.kernel,
    initrd: debianImageFiles.initrd,
    disk: debianImageFiles.disk,
    diskFormat: 'qcow2',
    diskSha256,
    kernelCmdline: debianRecipe.kernelCmdline,
    kernelVersion,
    packages,
    hash: options.hash,
    buildSeconds: Math.round((performance.now() - started) / 1000),
    builtAt: new Date().toISOString(),
  };
  await writeFile(path.join(outDir, debianImageFiles.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function findKernelVersion(bootDir: string): Promise<string> {
  const versions = (await readdir(bootDir)).filter((name) => name.startsWith('vmlinuz-')).map((name) => name.slice('vmlinuz-'.length));
  if (versions.length !== 1) throw new Error(`expected one kernel in the image's /boot, found ${versions.length}: ${versions.join(', ')}`);
  return versions[0] as string;
}

/** Versions of the recipe's packages as dpkg recorded them inside the tree. */
async function installedVersions(rootfs: string): Promise<Record<string, string>> {
  const { stdout } = await promisify(execFile)('dpkg-query', [`--admindir=${path.join(rootfs, 'var/lib/dpkg')}`, '-W', '-f', '${Package}\t${Version}\n', ...debianRecipe.packages]);
  return Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('\t') as [string, string]));
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
