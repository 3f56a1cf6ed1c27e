import { runCommand } from './run-command.ts';

/**
 * Modules the test guest needs (Debian builds them as modules, not into the kernel):
 * virtio PCI transport, virtio-serial (agent channel), virtio-blk (disks), isofs (cidata
 * seed), ext4 (base disk), button + evdev (ACPI power button for QMP system_powerdown).
 */
export const guestModules = ['virtio_pci', 'virtio_console', 'virtio_blk', 'isofs', 'ext4', 'button', 'evdev'] as const;

/**
 * Lists the `.ko` files to insmod, in dependency order and without repeats, as
 * `modprobe --show-depends` resolves them for the given kernel version.
 *
 * @throws Error when modprobe (kmod) is missing or a module is unknown.
 */
export async function resolveModules(kernelVersion: string, modules: readonly string[] = guestModules): Promise<string[]> {
  const ordered: string[] = [];
  for (const module of modules) {
    const { stdout } = await runCommand('modprobe', ['-S', kernelVersion, '--show-depends', module]);
    for (const line of stdout.toString().split('\n')) {
      const match = /^insmod (\S+)/.exec(line.trim());
      if (match?.[1] && !ordered.includes(match[1])) ordered.push(match[1]);
    }
  }
  return ordered;
}
