import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runLogged } from './run-logged.ts';

/**
 * Removes a build folder that may hold a chroot. A build killed halfway can leave /proc, /sys or
 * /dev/pts mounted inside it: those are unmounted first, and `rm --one-file-system` never
 * descends into anything still mounted, so the host's own /dev or /sys are never touched.
 *
 * @throws Error when something inside stays mounted or cannot be removed.
 */
export async function removeTree(target: string): Promise<void> {
  const root = path.resolve(target);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((point) => point === root || point.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await runLogged('umount', ['--lazy', point]).catch(() => undefined);
  await runLogged('rm', ['-rf', '--one-file-system', '--', root]);
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
