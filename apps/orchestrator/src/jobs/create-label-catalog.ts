import { invalidArgument } from '@jobmesh/grpc-kit';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

/** How long the labels vm-runner reports are trusted, in ms. */
const cacheMs = 2000;

/** The runs_on labels (and aliases) vm-runner can run, briefly cached. */
export function createLabelCatalog(clients: MeshClients) {
  let cached: { at: number; labels: Set<string> } | undefined;
  const labels = async () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const { labels: reported } = await clients.vmRunner.capacity({});
      cached = { at: Date.now(), labels: new Set(reported.flatMap((l) => [l.label, ...l.aliases])) };
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
