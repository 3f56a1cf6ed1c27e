import type { ServiceName, TestMesh } from '@jobmesh/orchestrator/testing';
import type { OwnPostgres } from '../own-postgres.ts';

/** What the driver did. */
export interface KillCounts {
  kills: Record<ServiceName, number>;
  postgresRestarts: number;
  /** Restarts that failed (the drill fails on any). */
  restartFailures: string[];
  /** Longest time from a kill until the service served again, in ms. */
  longestRestartMs: number;
  /** One line per event, with its time, for the log dump of a failed run. */
  timeline: string[];
}

const services: ServiceName[] = ['orchestrator', 'persistence', 'vm-runner', 'fsops'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every `intervalMs` SIGKILLs a random service and starts it again on its port, waiting until it
 * serves before the next kill: one service down at a time (overlapping restarts of 20 to 40 s on
 * a loaded 2-core host left the mesh never whole, and no job could finish). At the events named
 * in `postgresAt` it restarts Postgres instead. Runs until `stop` resolves or `maxEvents` events
 * happened, so the drill always ends.
 */
export async function runKillDriver(mesh: TestMesh, postgres: OwnPostgres, options: { intervalMs: number; maxEvents: number; postgresAt: number[]; stop: Promise<unknown>; random: () => number }): Promise<KillCounts> {
  const counts: KillCounts = { kills: { orchestrator: 0, persistence: 0, 'vm-runner': 0, fsops: 0 }, postgresRestarts: 0, restartFailures: [], longestRestartMs: 0, timeline: [] };
  let stopped = false;
  void options.stop.then(() => (stopped = true), () => (stopped = true));
  for (let event = 0; event < options.maxEvents && !stopped; event++) {
    await Promise.race([sleep(options.intervalMs), options.stop]);
    if (stopped) break;
    const at = Date.now();
    if (options.postgresAt.includes(event)) {
      await postgres.restart(1000).then(() => counts.postgresRestarts++, (error: unknown) => counts.restartFailures.push(`postgres: ${String(error)}`));
      counts.timeline.push(`${new Date(at).toISOString()} postgres restarted in ${Date.now() - at} ms`);
      continue;
    }
    const name = services[Math.floor(options.random() * services.length)]!;
    await mesh.kill(name);
    counts.kills[name]++;
    await sleep(200);
    await mesh.restart(name).catch((error: unknown) => counts.restartFailures.push(`${name}: ${String(error).slice(0, 500)}`));
    counts.longestRestartMs = Math.max(counts.longestRestartMs, Date.now() - at);
    counts.timeline.push(`${new Date(at).toISOString()} ${name} killed, serving again after ${Date.now() - at} ms`);
  }
  counts.timeline.push(`${new Date().toISOString()} kill driver done`);
  return counts;
}
