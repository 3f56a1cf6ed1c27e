import type { QemuProcess } from './qemu-process.ts';
import { qmp } from './qmp.ts';

/** Options of {@link stopQemu}. */
export interface StopQemuOptions {
  /** How long the guest gets to power off after the ACPI power button, in ms. */
  graceMs: number;
  /** Skip the graceful steps: SIGKILL at once. @default false */
  force?: boolean;
}

/** How long `quit` may take before SIGKILL, in ms. */
const quitWaitMs = 3000;

/**
 * Stops a VM: ACPI power button through QMP (`system_powerdown`; the guest stops its job,
 * syncs and powers off), then QMP `quit`, then SIGKILL, each step only if the previous one did
 * not end qemu in time. Closes the agent connection. Resolves once the process is gone;
 * returns the step that ended it (`killed` also when it was already gone).
 */
export async function stopQemu(vm: QemuProcess, options: StopQemuOptions): Promise<'powerdown' | 'quit' | 'killed'> {
  vm.agent.close();
  if (!options.force && vm.isAlive()) {
    const poweredDown = await qmp(vm.qmpSocketPath, 'system_powerdown', undefined, { timeoutMs: Math.max(options.graceMs, 1000) }).then(
      () => exitedWithin(vm, options.graceMs),
      () => false,
    );
    if (poweredDown) return 'powerdown';
    const quit = await qmp(vm.qmpSocketPath, 'quit', undefined, { timeoutMs: quitWaitMs }).then(
      () => exitedWithin(vm, quitWaitMs),
      () => false,
    );
    if (quit) return 'quit';
  }
  if (vm.isAlive()) {
    try {
      process.kill(vm.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  await vm.exited;
  return 'killed';
}

function exitedWithin(vm: QemuProcess, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(!vm.isAlive()), ms);
    void vm.exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
