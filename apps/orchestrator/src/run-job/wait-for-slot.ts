import { sleepUnlessAborted } from '@jobmesh/durable';
import { failedPrecondition } from '@jobmesh/grpc-kit';
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
 * @throws the signal's reason when aborted (cancellation, deadline); FAILED_PRECONDITION LABEL_UNAVAILABLE when every vm-runner offering the label says it cannot run it
 */
export async function waitForSlot(clients: MeshClients, requestId: string, runsOn: string, signal: AbortSignal, pollMs = 200, maxPollMs = 1000): Promise<Slot> {
  const started = Date.now();
  for (let wait = pollMs; ; wait = Math.min(maxPollMs, Math.round(wait * 1.5))) {
    if (signal.aborted) throw signal.reason;
    const [{ jobsAhead }, ...reports] = await Promise.all([
      clients.jobs.getQueuePosition({ requestId }),
      // A vm-runner that is away offers no slot; the others still may.
      ...[...clients.vmRunners].map(([address, runner]) => sharedCapacity(runner).then((c) => ({ address, labels: c.labels, reached: true }), () => ({ address, labels: [] as Capacity['labels'], reached: false }))),
    ]);
    const found = reports.map(({ address, labels }) => ({ address, label: labels.find((l) => l.label === runsOn || l.aliases.includes(runsOn)) }));
    // A label no vm-runner can run (qemu missing, image missing…) fails the job now, with the reason;
    // but only when every vm-runner answered: one that is away (restarting) may still run it.
    const offered = found.filter((f) => f.label);
    if (reports.every((r) => r.reached) && offered.length > 0 && offered.every((f) => f.label!.unavailableReason)) {
      throw failedPrecondition('LABEL_UNAVAILABLE', `label ${runsOn} cannot run jobs: ${offered.map((f) => `${f.address}: ${f.label!.unavailableReason}`).join('; ')}`);
    }
    const free = found.map(({ address, label }) => ({ address, free: label && !label.unavailableReason ? label.slotsTotal - label.slotsInUse : 0 }));
    const total = free.reduce((sum, r) => sum + Math.max(0, r.free), 0);
    if (jobsAhead < total) {
      const best = free.reduce((a, b) => (b.free > a.free ? b : a));
      return { runner: best.address, waitedMs: Date.now() - started };
    }
    // The wait grows to maxPollMs (with jitter): a queue of hundreds polling every 200 ms kept
    // persistence so busy that SubmitJob calls of the load drill ran past their deadline.
    await sleepUnlessAborted(wait * (0.75 + Math.random() / 2), signal);
  }
}

type VmRunnerClient = MeshClients['vmRunners'] extends Map<string, infer C> ? C : never;
type Capacity = Awaited<ReturnType<VmRunnerClient['capacity']>>;
/** How long one Capacity answer serves every waiting job of this process, in ms. */
const capacityTtlMs = 150;
const capacities = new WeakMap<VmRunnerClient, { at: number; answer: Promise<Capacity> }>();

/** One Capacity call per vm-runner for all jobs waiting at the same moment, not one each. */
function sharedCapacity(runner: VmRunnerClient): Promise<Capacity> {
  const cached = capacities.get(runner);
  if (cached && Date.now() - cached.at < capacityTtlMs) return cached.answer;
  // A short deadline: a vm-runner that is gone must not hold every waiting job for the default 10 s.
  const answer = runner.capacity({}, { deadlineMs: 2000 });
  capacities.set(runner, { at: Date.now(), answer });
  // A failed answer is not kept beyond this round.
  answer.catch(() => capacities.get(runner)?.answer === answer && capacities.delete(runner));
  return answer;
}
