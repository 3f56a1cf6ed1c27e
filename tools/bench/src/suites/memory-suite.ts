import { spawn } from 'node:child_process';
import type { Comparison, Suite } from '../bench-types.ts';
import { compare, figure } from '../compare.ts';
import { rssMiB, rssReadings, serviceEntries } from '../service-rss.ts';
import { sharedMesh } from '../shared-mesh.ts';
import { meshSuite } from './mesh-suite.ts';

/** RSS of a bare Node 24 process (an empty event loop), the floor every service stands on. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return rssMiB(child.pid!) ?? Number.NaN;
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * RSS of each service idle (right after the mesh started) and after the mesh suite's load,
 * against a bare Node process. Runs the mesh suite first when it has not run in this run.
 */
export const memorySuite: Suite = {
  name: 'memory',
  async run(ctx) {
    const m = await sharedMesh(ctx);
    const notes: string[] = [];
    if (!m.loaded) {
      notes.push('The mesh suite had not run in this invocation: its load ran first (its figures are not reported here).');
      await meshSuite.run(ctx);
    }
    const bare = [await bareNodeRss(), await bareNodeRss(), await bareNodeRss()];
    const after = await rssReadings(m.pids);
    const comparisons: Comparison[] = [];
    for (const name of Object.keys(serviceEntries) as (keyof typeof serviceEntries)[]) {
      const idle = m.idleRss[name];
      const loaded = after.map((r) => r[name]).filter((v) => v !== undefined);
      if (!idle?.length || loaded.length === 0) {
        notes.push(`${name}: no process found to measure`);
        continue;
      }
      comparisons.push(compare(`${name} RSS idle`, figure(`${name} idle`, 'MiB', idle), figure('bare node', 'MiB', bare), { op: '<=', value: 2.5, text: 'each service idle ≤ 2.5× a bare Node process' }));
      comparisons.push(compare(`${name} RSS after the mesh load`, figure(`${name} after`, 'MiB', loaded), figure('bare node', 'MiB', bare), { op: '<=', value: 4, text: 'after the mesh load ≤ 4× a bare Node process' }));
    }
    return {
      what: 'Resident set size (VmRSS) of each service process, idle (2 s after all four served) and after the mesh suite\'s jobs, '
        + 'against a bare Node process with an empty event loop (three processes). Each service figure is 5 readings 200 ms apart. '
        + 'Services run as `npm start`, the tests and the images start them (libs/config serviceNodeEnv): Node\'s compile cache warm (a first start '
        + 'of the mesh filled it) and a young generation of 4 MiB per semi-space.',
      comparisons,
      notes: [
        ...notes,
        'What a service held at idle before (issue 20: 227 to 248 MiB, 5.4 to 5.9×; after load up to 480 MiB), and what was done. '
          + '(1) The OpenTelemetry SDK with its gRPC and pg instrumentations and the ESM loader hook (a thread of its own) loaded even with no exporter: '
          + 'about 100 MiB; now they load only when spans are exported (libs/telemetry lite tracing keeps trace ids). (2) Node strips types in a '
          + 'WebAssembly module whose memory grows to fit the biggest file and never shrinks: the generated contracts (files up to 140 KB) took tens '
          + 'of MiB; they now load as JavaScript twins, and with Node\'s compile cache warm the stripper is not loaded at all (15 to 20 MiB). '
          + '(3) Clients and servers decoded the whole descriptor set (with comments) at start-up for idempotency levels and reflection: now a small '
          + 'generated contract-index.json, the set decoded on the first reflection call. (4) Under load V8\'s young generation grew to 2×16 MiB per '
          + 'process: 4 MiB semi-spaces. Left at idle (smaps of a service): about 53 MiB of the node binary\'s own pages (a bare process touches 32), '
          + 'about 45 MiB of V8 heap and code, a few MiB of libraries.',
      ],
    };
  },
};
