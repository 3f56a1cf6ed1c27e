import type { CallOptions } from '@jobmesh/grpc-kit';
import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { readVmsPage } from './read-vms-page.ts';

/** Jobs whose label is remembered (a job's label never changes). */
const maxRemembered = 10_000;

/** GET /api/vms (`cursor`): VMs newest first with label, backend, accelerator, state and job; and every label's capacity. */
export function vmRoutes(api: PublicApi): Route[] {
  const labels = new Map<string, string>();
  const labelOf = (call: CallOptions) => async (jobId: string) => {
    const known = labels.get(jobId);
    if (known !== undefined) return known;
    const { job } = await api.jobs.getJob({ requestId: jobId }, call);
    if (labels.size >= maxRemembered) labels.delete(labels.keys().next().value!);
    labels.set(jobId, job!.runsOn);
    return job!.runsOn;
  };
  return [{ method: 'GET', path: '/api/vms', handler: ({ query, call }) => readVmsPage(api, query.get('cursor') ?? '', 50, call, labelOf(call)) }];
}
