import { makeGitRepo, startTestMesh, type TestMesh } from '@jobmesh/orchestrator/testing';
import type { BenchContext } from './bench-types.ts';
import { shareOnce } from './share-once.ts';
import { rssReadings, servicePids, type serviceEntries } from './service-rss.ts';

/** The four services as processes, a repository to check out, and their RSS right after start. */
export interface BenchMesh {
  mesh: TestMesh;
  repo: { url: string; commit: string };
  /** Pid of each of the mesh's service processes (not those other suites started). */
  pids: Partial<Record<keyof typeof serviceEntries, number>>;
  /** RSS readings in MiB of each service once all four served, before any job (several, 200 ms apart). */
  idleRss: Partial<Record<keyof typeof serviceEntries, number[]>>;
  /** Set by the mesh suite once it has pushed its jobs through (the memory suite then measures "after"). */
  loaded: boolean;
}

const key = 'mesh';

/** Starts the mesh once per run (64 `local` slots, so concurrency 64 is not capped by slots). */
export async function sharedMesh(ctx: BenchContext): Promise<BenchMesh> {
  return shareOnce(ctx, key, async () => {
    const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    // Services start with Node's compile cache (serviceNodeEnv): a first start fills it, as a
    // deployment's first start (or its image build) does; the measured mesh is a later start.
    await (await startTestMesh({ localSlots: 1, env })).stop();
    const before = new Set(Object.values(servicePids()).flat());
    const mesh = await startTestMesh({ localSlots: 64, env });
    ctx.onEnd(() => mesh.stop());
    const repo = await makeGitRepo({ 'README.md': 'a no-op job\n' });
    // Let start-up allocations settle before calling anything idle.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pids: BenchMesh['pids'] = {};
    const idleRss: BenchMesh['idleRss'] = {};
    for (const [name, all] of Object.entries(servicePids()) as [keyof typeof serviceEntries, number[]][]) {
      const pid = all.find((p) => !before.has(p));
      if (pid !== undefined) pids[name] = pid;
    }
    for (const readings of await rssReadings(pids)) {
      for (const [name, mib] of Object.entries(readings)) (idleRss[name as keyof typeof serviceEntries] ??= []).push(mib);
    }
    return { mesh, repo, pids, idleRss, loaded: false };
  });
}
