import * as grpc from '@grpc/grpc-js';
import type { DescService } from '@bufbuild/protobuf';
import { createReflectionClient, withDeadline } from '@jobmesh/grpc-kit/testing';
import { startTestMesh, type ServiceName } from '@jobmesh/orchestrator/testing';
import type { DrillResult } from '../drill-result.ts';
import { callRaw } from './call-raw.ts';
import { countRows } from './count-rows.ts';
import { generateBadInput } from './generate-bad-input.ts';

/** Options of the fuzz drill. */
export interface FuzzOptions {
  /** Bad inputs per RPC. @default 500 (quick: 50) */
  inputsPerMethod: number;
}

const concurrency = 16;
const codeName = (code: number) => grpc.status[code] ?? String(code);
/** Statuses that mean a handler failed in a way nobody planned for. */
const forbidden = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN]);

/**
 * The fuzz drill: every RPC of every jobmesh service, found through reflection, called
 * with generated bad inputs. Fails on any INTERNAL/UNKNOWN status, a service exit, an
 * unhandled rejection or uncaught exception in a service log, or a job or workflow row more
 * than the accepted creating calls explain.
 */
export async function runFuzzDrill(options: FuzzOptions): Promise<DrillResult> {
  const started = Date.now();
  const mesh = await withDeadline(startTestMesh({ localSlots: 2 }), 180_000, 'mesh up');
  const names: ServiceName[] = ['persistence', 'vm-runner', 'fsops', 'orchestrator'];
  const exits: string[] = [];
  for (const name of names) void mesh.exited(name).then((code) => exits.push(`${name} exited (${code})`));
  const byCode: Record<string, number> = {};
  const byMethod: Record<string, number | string>[] = [];
  // INTERNAL/UNKNOWN answers grouped by status and message, with the first call that got each.
  const bad = new Map<string, { count: number; first: string }>();
  const okCalls: Record<string, number> = {};
  let calls = 0;
  let methods = 0;
  try {
    const before = await countRows(mesh);
    for (const name of names) {
      const reflection = createReflectionClient(mesh.address[name]);
      const client = new grpc.Client(mesh.address[name], grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
      try {
        const services = (await reflection.listServices()).filter((s) => s.startsWith('jobmesh.'));
        for (const serviceName of services) {
          const service = (await reflection.describe(serviceName)).descriptor as DescService;
          for (const method of service.methods) {
            methods++;
            const codes: Record<string, number> = {};
            for (let i = 0; i < options.inputsPerMethod; i += concurrency) {
              const batch = Array.from({ length: Math.min(concurrency, options.inputsPerMethod - i) }, (_, k) => generateBadInput(method, i + k));
              const results = await Promise.all(batch.map((input) => withDeadline(callRaw(client, method, input), 30_000, `${method.name} call`).then((r) => ({ input, ...r }))));
              for (const { input, code, details } of results) {
                calls++;
                byCode[codeName(code)] = (byCode[codeName(code)] ?? 0) + 1;
                codes[codeName(code)] = (codes[codeName(code)] ?? 0) + 1;
                if (code === grpc.status.OK) okCalls[method.name] = (okCalls[method.name] ?? 0) + 1;
                if (forbidden.has(code)) {
                  const key = `${codeName(code)} "${details}"`;
                  bad.set(key, { count: (bad.get(key)?.count ?? 0) + 1, first: bad.get(key)?.first ?? `${service.name}/${method.name} (${input.category})` });
                }
              }
            }
            byMethod.push({ method: `${service.name}/${method.name}`, ...codes });
          }
        }
      } finally {
        reflection.close();
        client.close();
      }
    }
    const after = await countRows(mesh);
    const problems = [...bad].map(([key, { count, first }]) => `${count} × ${key}, first from ${first}`);
    problems.push(...exits);
    for (const name of names) {
      const hits = mesh.history(name).split('\n').filter((line) => /unhandled ?rejection|uncaught ?exception/i.test(line));
      if (hits.length) problems.push(`${name} log: ${hits.length} unhandled errors, first: ${hits[0]!.slice(0, 300)}`);
    }
    const acceptedJobs = (okCalls.CreateJob ?? 0) + (okCalls.SubmitJob ?? 0);
    const acceptedWorkflows = (okCalls.CreateWorkflow ?? 0) + (okCalls.SubmitJob ?? 0);
    if (after.jobs - before.jobs > acceptedJobs) problems.push(`${after.jobs - before.jobs} job rows written, but only ${acceptedJobs} creating calls succeeded`);
    if (after.workflows - before.workflows > acceptedWorkflows) problems.push(`${after.workflows - before.workflows} workflow rows written, but only ${acceptedWorkflows} creating calls succeeded`);
    return {
      drill: 'fuzz',
      passed: problems.length === 0,
      figures: {
        services: names.length,
        methods,
        'inputs per method': options.inputsPerMethod,
        calls,
        ...Object.fromEntries(Object.entries(byCode).sort().map(([code, n]) => [`status ${code}`, n])),
        'job rows written (accepted creates)': `${after.jobs - before.jobs} (${acceptedJobs})`,
        'workflow rows written (accepted creates)': `${after.workflows - before.workflows} (${acceptedWorkflows})`,
        'service crashes': exits.length,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      tables: { 'calls per method and status': byMethod },
      problems,
    };
  } finally {
    await mesh.stop().catch(() => undefined);
  }
}
