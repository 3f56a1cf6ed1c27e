import { chmod, copyFile, mkdir, open, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.ts';

/** Inputs of {@link buildInitramfs}. */
export interface InitramfsInputs {
  /** Static busybox binary (Debian's busybox-static: /bin/busybox). */
  busyboxPath: string;
  /** Host paths of the modules, in load order. */
  modulePaths: string[];
  /** Guest scripts: file name → contents, installed as executables under /jobmesh. */
  guestScripts: Record<string, string>;
  /** `/init`. */
  init: string;
  /** Extra files: guest path → contents. */
  files: Record<string, string>;
}

/**
 * Builds a gzip'd newc cpio initramfs in `outputPath`, using `stagingDir` (empty) as its tree.
 * Modules are copied flat to /lib/modules/ and listed in order in /etc/jobmesh/modules.
 *
 * @returns the guest paths of the modules in load order.
 */
export async function buildInitramfs(inputs: InitramfsInputs, stagingDir: string, outputPath: string): Promise<string[]> {
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'run', 'tmp', 'seed', 'mnt/disk', 'etc/jobmesh', 'lib/modules', 'jobmesh', 'root', 'var/log']) {
    await mkdir(path.join(stagingDir, dir), { recursive: true });
  }
  await copyFile(inputs.busyboxPath, path.join(stagingDir, 'bin/busybox'));
  await chmod(path.join(stagingDir, 'bin/busybox'), 0o755);
  const { stdout } = await runCommand(inputs.busyboxPath, ['--list-full']);
  for (const applet of stdout.toString().split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox') continue;
    const target = path.relative(path.dirname(path.join('/', applet)), '/bin/busybox');
    await symlink(target, path.join(stagingDir, applet)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  const guestModules: string[] = [];
  for (const [index, hostPath] of inputs.modulePaths.entries()) {
    // Numbered so two modules of the same base name cannot collide.
    const guestPath = `/lib/modules/${String(index).padStart(2, '0')}-${path.basename(hostPath)}`;
    await copyFile(hostPath, path.join(stagingDir, guestPath));
    guestModules.push(guestPath);
  }
  await writeFile(path.join(stagingDir, 'etc/jobmesh/modules'), guestModules.join('\n') + '\n');
  for (const [name, contents] of Object.entries(inputs.guestScripts)) {
    await writeFile(path.join(stagingDir, 'jobmesh', name), contents, { mode: 0o755 });
  }
  for (const [guestPath, contents] of Object.entries(inputs.files)) {
    await mkdir(path.dirname(path.join(stagingDir, guestPath)), { recursive: true });
    await writeFile(path.join(stagingDir, guestPath), contents, { mode: 0o755 });
  }
  await writeFile(path.join(stagingDir, 'init'), inputs.init, { mode: 0o755 });
  const { stdout: list } = await runCommand('find', ['.', '-mindepth', '1'], { cwd: stagingDir });
  const cpio = await runCommand('cpio', ['--quiet', '-o', '-H', 'newc', '-R', '0:0'], { cwd: stagingDir, input: list });
  const out = await open(outputPath, 'w');
  try {
    await runCommand('gzip', ['-6', '-n'], { input: cpio.stdout, stdoutFd: out.fd });
  } finally {
    await out.close();
  }
  return guestModules;
}
