import path from 'node:path';
import { runCommand } from './run-command.ts';

/**
 * The format of a disk image as `qemu-img info` detects it (`qcow2`, `raw`…), never assumed from its name.
 * @throws Error when the image has a backing file of its own
 */
export async function detectDiskFormat(diskPath: string): Promise<string> {
  const stdout = await runCommand('qemu-img', ['info', '--output=json', path.resolve(diskPath)]);
  const info = JSON.parse(stdout.toString()) as { format?: unknown; 'backing-filename'?: unknown };
  if (typeof info.format !== 'string' || !/^[a-z0-9]+$/.test(info.format)) throw new Error(`qemu-img info gave no format for ${diskPath}`);
  // A base image naming a backing file would make qemu open that (any host file): refused.
  if (info['backing-filename'] !== undefined) throw new Error(`${diskPath} has a backing file (${String(info['backing-filename'])}); a label's image must stand alone (qemu-img convert it first)`);
  return info.format;
}

/**
 * Creates a qcow2 overlay backed by a base image (`qemu-img create -f qcow2 -F <format> -b`), the
 * base's format detected with `qemu-img info`.
 * The guest's writes land in the overlay; the base stays byte-identical. An existing file
 * at `overlayPath` is replaced.
 *
 * @param basePath - base image (qcow2, raw…); stored in the overlay as an absolute path.
 * @throws Error when qemu-img (Debian `qemu-utils`) is missing or fails.
 */
export async function createOverlay(basePath: string, overlayPath: string): Promise<void> {
  const format = await detectDiskFormat(basePath);
  await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', format, '-b', path.resolve(basePath), path.resolve(overlayPath)]);
}
