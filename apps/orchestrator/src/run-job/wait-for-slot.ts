import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** Where a job got its slot: the vm-runner to prepare its VM on. */
export type Slot = {
  /** Address of the chosen vm-runner. */
  runner: string;
  waitedMs: number;
};

/**
 * Waits until the job may take a VM slot of its label: first in, first out
 * per label, by counting the queued jobs of the label created before it
 * against the free slots every vm-runner reports, then picks the vm-runner
 * with the most free slots of that label. Re-checks every `pollMs`.
 * @throws the signal's reason when aborted (cancellation, deadline)
 */
export async function waitForSlot(clients: MeshClients, requestId: string, runsOn: string, signal: AbortSignal, pollMs = 200): Promise<Slot> {
  const started = Date.now();
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const [{ jobsAhead }, ...reports] = await Promise.all([
      clients.jobs.getQueuePosition({ requestId }),
      // A vm-runner that is away offers no slot; the others still may.
      ...[...clients.vmRunners].map(([address, runner]) => runner.capacity({}).then((c) => ({ address, labels: c.labels }), () => ({ address, labels: [] }))),
    ]);
    const free = reports.map(({ address, labels }) => {
      const label = labels.find((l) => l.label === runsOn || l.aliases.includes(runsOn));
      return { address, free: label ? label.slotsTotal - label.slotsInUse : 0 };
    });
    const total = free.reduce((sum, r) => sum + Math.max(0, r.free), 0);
    if (jobsAhead < total) {
      const best = free.reduce((a, b) => (b.free > a.free ? b : a));
      return { runner: best.address, waitedMs: Date.now() - started };
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
