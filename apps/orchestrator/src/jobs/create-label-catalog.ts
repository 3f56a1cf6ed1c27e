import { invalidArgument } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** How long the labels vm-runner reports are trusted, in ms. */
const cacheMs = 2000;

/** The runs_on labels (and aliases) any vm-runner can run, briefly cached. */
export function createLabelCatalog(clients: MeshClients) {
  let cached: { at: number; labels: Set<string> } | undefined;
  const labels = async () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const reports = await Promise.allSettled([...clients.vmRunners.values()].map((runner) => runner.capacity({})));
      const reached = reports.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      // No vm-runner reachable: say so (UNAVAILABLE) rather than call every label unknown.
      if (reached.length === 0) throw (reports[0] as PromiseRejectedResult).reason;
      cached = { at: Date.now(), labels: new Set(reached.flatMap((c) => c.labels.flatMap((l) => [l.label, ...l.aliases]))) };
    }
    return cached.labels;
  };
  return {
    /** @throws INVALID_ARGUMENT naming runs_on and listing the known labels; UNAVAILABLE when vm-runner is away */
    async requireKnown(runsOn: string): Promise<void> {
      const known = await labels();
      if (!known.has(runsOn)) {
        throw invalidArgument('runs_on', `unknown label ${JSON.stringify(runsOn)}; known labels: ${[...known].sort().join(', ') || '(none)'}`);
      }
    },
  };
}
