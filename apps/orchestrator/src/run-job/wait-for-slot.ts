import type { MeshClients } from '../clients/create-mesh-clients.ts';

/**
 * Waits until the job may take a VM slot of its label: first in, first out
 * per label, by counting the queued jobs of the label created before it
 * against the free slots vm-runner reports. Re-checks every `pollMs`.
 * @throws the signal's reason when aborted (cancellation, deadline)
 */
export async function waitForSlot(clients: MeshClients, requestId: string, runsOn: string, signal: AbortSignal, pollMs = 200): Promise<{ waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const [{ jobsAhead }, capacity] = await Promise.all([
      clients.jobs.getQueuePosition({ requestId }),
      clients.vmRunner.capacity({}),
    ]);
    const label = capacity.labels.find((l) => l.label === runsOn || l.aliases.includes(runsOn));
    const free = label ? label.slotsTotal - label.slotsInUse : 0;
    if (jobsAhead < free) return { waitedMs: Date.now() - started };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
