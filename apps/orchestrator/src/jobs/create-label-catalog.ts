import { failedPrecondition, invalidArgument } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** How long the labels vm-runner reports are trusted, in ms. */
const cacheMs = 2000;

/** The runs_on labels (and aliases) any vm-runner can run, briefly cached. */
export function createLabelCatalog(clients: MeshClients) {
  let cached: { at: number; labels: Set<string>; unavailable: Map<string, string[]> } | undefined;
  const labels = async () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const reports = await Promise.allSettled([...clients.vmRunners.values()].map((runner) => runner.capacity({})));
      const reached = reports.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      // No vm-runner reachable: say so (UNAVAILABLE) rather than call every label unknown.
      if (reached.length === 0) throw (reports[0] as PromiseRejectedResult).reason;
      const labels = new Set(reached.flatMap((c) => c.labels.flatMap((l) => [l.label, ...l.aliases])));
      // Names every vm-runner that offers them says it cannot run, with each one's reason.
      const reasons = new Map<string, string[]>();
      const runnable = new Set<string>();
      for (const report of reached) {
        for (const label of report.labels) {
          for (const name of [label.label, ...label.aliases]) {
            if (!label.unavailableReason) runnable.add(name);
            else reasons.set(name, [...(reasons.get(name) ?? []), `${report.host}: ${label.unavailableReason}`]);
          }
        }
      }
      for (const name of runnable) reasons.delete(name);
      cached = { at: Date.now(), labels, unavailable: reasons };
    }
    return cached;
  };
  return {
    /**
     * @throws INVALID_ARGUMENT naming runs_on and listing the known labels; FAILED_PRECONDITION LABEL_UNAVAILABLE
     * when no vm-runner can run it now (with each one's reason and fix); UNAVAILABLE when vm-runner is away
     */
    async requireKnown(runsOn: string): Promise<void> {
      const { labels: known, unavailable } = await labels();
      if (!known.has(runsOn)) {
        throw invalidArgument('runs_on', `unknown label ${JSON.stringify(runsOn)}; known labels: ${[...known].sort().join(', ') || '(none)'}`);
      }
      const reasons = unavailable.get(runsOn);
      if (reasons) throw failedPrecondition('LABEL_UNAVAILABLE', `runs_on: label ${runsOn} cannot run jobs now: ${reasons.join('; ')}`, { field: 'runs_on' });
    },
  };
}
