import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian packages the qemu labels need: qemu and qemu-img, the test guest's sources (kernel,
 * busybox, kmod, cpio, xz, e2fsprogs), genisoimage for seeds, git for checkouts, and mmdebstrap
 * for `npm run image:debian`.
 */
export const vmPackages = ['qemu-system-x86', 'qemu-utils', 'linux-image-amd64', 'busybox-static', 'genisoimage', 'e2fsprogs', 'cpio', 'xz-utils', 'kmod', 'git', 'mmdebstrap'];

async function installed(name: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}', name]);
    return stdout.includes('install ok installed');
  } catch {
    return false;
  }
}

/**
 * Makes sure the packages the VM labels need are on this host, for `npm start` and `npm test`:
 * as root with apt-get, the missing ones are installed (about a minute); otherwise the exact
 * `apt-get install` line is printed and the caller goes on (the process backend works; qemu
 * labels are reported unavailable, with the same line, by vm-runner). Never throws.
 * @returns the packages still missing afterwards
 */
export async function ensureVmPackages(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string[]> {
  if (process.platform !== 'linux') return [];
  const hasDpkg = await run('dpkg-query', ['--version']).then(() => true, () => false);
  if (!hasDpkg) return [];
  const missing = [];
  for (const name of vmPackages) if (!(await installed(name))) missing.push(name);
  if (missing.length === 0) return [];
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`VM labels need Debian packages that are missing; run as root:\n  ${line}\n(jobs on the process backend work meanwhile; qemu labels are reported unavailable)`);
    return missing;
  }
  log(`installing the Debian packages VM labels need: ${missing.join(' ')}`);
  const apt = (args: string[]) => new Promise<boolean>((resolve) => {
    const child = spawn('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
  if (!(await apt(['update', '-qq'])) || !(await apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]))) {
    log(`apt-get could not install them; run:\n  ${line}\n(jobs on the process backend work meanwhile)`);
  }
  const still = [];
  for (const name of missing) if (!(await installed(name))) still.push(name);
  return still;
}
