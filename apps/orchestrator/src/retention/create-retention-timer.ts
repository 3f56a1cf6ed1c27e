import type { Logger } from '@jobmesh/logger';
import type { MeshClients } from '../clients/create-mesh-clients.ts';
import { retentionCutoffs, type RetentionDays } from './retention-cutoffs.ts';
import { runRetention } from './run-retention.ts';

/** Delay of the first run after start, so a booting mesh is not pruned while its services come up. */
const firstRunDelayMs = 60_000;

/** Periodic retention; `stop()` ends it (a run in flight finishes on its own). */
export interface RetentionTimer {
  stop(): void;
}

/**
 * Applies retention every `intervalMs` (0 = never), one run at a time. Replicas may each run it:
 * pruning skips locked rows and repeats harmlessly.
 */
export function createRetentionTimer(clients: MeshClients, options: { days: RetentionDays; intervalMs: number; logger: Logger }): RetentionTimer {
  if (options.intervalMs === 0) return { stop() {} };
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const answer = await runRetention(clients, retentionCutoffs(options.days, Date.now()), false);
      const pruned = Object.fromEntries(answer.kinds.filter((k) => k.count > 0).map((k) => [k.kind, k.count]));
      if (Object.keys(pruned).length) options.logger.info('retention pruned history', pruned);
      for (const warning of answer.warnings) options.logger.warn('retention', { warning });
    } catch (error) {
      options.logger.warn('retention run failed; retried at the next interval', { error: error instanceof Error ? error.message : String(error) });
    } finally {
      running = false;
    }
  };
  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void tick();
    interval = setInterval(() => void tick(), options.intervalMs);
    interval.unref();
  }, Math.min(firstRunDelayMs, options.intervalMs));
  first.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(interval);
    },
  };
}
