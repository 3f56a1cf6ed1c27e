import { makeGitRepo, startTestMesh } from '@jobmesh/orchestrator/testing';
import { collectOtlpSpans } from '../collect-otlp-spans.ts';
import { traceBreakdown } from '../trace-breakdown.ts';
import { runMeshJob } from './mesh-job.ts';

/**
 * Runs no-op jobs at concurrency 1 through a mesh of its own that exports its spans (OTLP/HTTP
 * JSON to a receiver in this process) and renders the trace of the last one, step by step.
 * Exporting costs time itself (spans, SQL spans, the exporter), so these figures are a
 * breakdown, not the measurement.
 */
export async function traceOneJob(): Promise<string[]> {
  const collector = await collectOtlpSpans();
  const mesh = await startTestMesh({
    localSlots: 4,
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  try {
    const repo = await makeGitRepo({ 'README.md': 'a no-op job\n' });
    // The first jobs warm the mirror and the services' code paths; the last one is shown.
    for (let i = 0; i < 3; i++) await runMeshJob(mesh, repo);
    const before = new Set(collector.spans.map((s) => s.traceId));
    await runMeshJob(mesh, repo);
    // Spans are exported in batches (every 100 ms here): wait until the new trace's workflow span came.
    const until = Date.now() + 10_000;
    let trace = collector.spans.filter((s) => !before.has(s.traceId));
    while (Date.now() < until && !trace.some((s) => s.name.startsWith('workflow '))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      trace = collector.spans.filter((s) => !before.has(s.traceId));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const withWorkflow = collector.spans.filter((s) => !before.has(s.traceId));
    const jobTrace = withWorkflow.find((s) => s.name.startsWith('workflow '))?.traceId;
    return traceBreakdown(withWorkflow.filter((s) => s.traceId === jobTrace));
  } finally {
    await mesh.stop();
    await collector.close();
  }
}
