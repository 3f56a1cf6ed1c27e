import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The host programs the Debian image needs, with the Debian package of each. */
export const buildTools = { mmdebstrap: 'mmdebstrap', 'mkfs.ext4': 'e2fsprogs', 'qemu-img': 'qemu-utils' } as const;
/** What booting it needs. */
export const bootTools = { 'qemu-system-x86_64': 'qemu-system-x86', 'qemu-img': 'qemu-utils', genisoimage: 'genisoimage' } as const;

/** Whether `program` is an executable on PATH (or in sbin). */
export function findProgram(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  return undefined;
}

/**
 * Checks that every program of `tools` is installed.
 *
 * @throws Error naming the missing programs and the `apt-get install` line that provides them.
 */
export function requireTools(purpose: string, tools: Record<string, string>): void {
  const missing = Object.keys(tools).filter((program) => !findProgram(program));
  if (missing.length === 0) return;
  const packages = [...new Set(Object.values(tools))];
  throw new Error(`${purpose} needs ${missing.join(', ')}, not installed: apt-get install ${packages.join(' ')}`);
}
