import path from 'node:path';
import { runCommand } from './run-command.ts';

/**
 * Creates a qcow2 overlay backed by a raw base image (`qemu-img create -f qcow2 -F raw -b`).
 * The guest's writes land in the overlay; the base stays byte-identical. An existing file
 * at `overlayPath` is replaced.
 *
 * @param basePath - raw base image; stored in the overlay as an absolute path.
 * @throws Error when qemu-img (Debian `qemu-utils`) is missing or fails.
 */
export async function createOverlay(basePath: string, overlayPath: string): Promise<void> {
  await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', path.resolve(basePath), path.resolve(overlayPath)]);
}
