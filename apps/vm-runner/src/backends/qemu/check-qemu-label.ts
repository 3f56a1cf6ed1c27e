import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { readImageInputs } from '@jobmesh/guest-images';
import type { LabelSpec } from '../../catalog/catalog-schema.ts';

/** Host tools every qemu label needs, with the Debian package that has them. */
const tools: [command: string, debianPackage: string][] = [
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['qemu-img', 'qemu-utils'],
  ['genisoimage', 'genisoimage'],
];

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (await access(join(dir, command), constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}

const readable = (path: string) => access(path, constants.R_OK).then(() => true, () => false);

/**
 * Why a qemu label cannot run on this host ('' when it can), without booting anything: the
 * qemu tools on PATH, and the label's image: the test image's inputs (kernel, busybox) or the
 * catalog's files. Each reason names the fix.
 */
export async function checkQemuLabel(label: LabelSpec): Promise<string> {
  if (label.backend !== 'qemu') return '';
  const missing = [];
  for (const [command, debianPackage] of tools) if (!(await onPath(command))) missing.push({ command, debianPackage });
  if (missing.length > 0) {
    return `${missing.map((m) => m.command).join(', ')} not found on PATH: apt-get install ${missing.map((m) => m.debianPackage).join(' ')}`;
  }
  const image = label.image;
  if ('testImage' in image) {
    try {
      await readImageInputs();
      return '';
    } catch (error) {
      return `the test guest image cannot be built: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  for (const [role, path] of Object.entries(image) as [string, unknown][]) {
    if (typeof path === 'string' && ['kernel', 'initrd', 'disk'].includes(role) && !(await readable(path))) {
      return `the ${role} of label ${label.name} (${path}) is missing or unreadable: fix the catalog (JOBMESH_VMRUNNER_CATALOG) or build the image`;
    }
  }
  return '';
}
