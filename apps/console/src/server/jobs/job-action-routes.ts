import type { CallOptions } from '@jobmesh/grpc-kit';
import type { ActionResult } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import { cancelReasonOf } from '../http/cancel-reason.ts';
import type { Route } from '../http/create-router.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { HttpError, toErrorBody } from '../http/to-error-body.ts';
import { toJobView } from '../views/to-job-view.ts';
import { resubmissionOf } from './resubmission-of.ts';

/** Most jobs one bulk cancel takes. */
const maxBulk = 500;
/** Cancels in flight at once during a bulk cancel. */
const bulkConcurrency = 8;

async function cancelOne(api: PublicApi, id: string, reason: string, call: CallOptions): Promise<ActionResult> {
  try {
    const { job } = await api.jobs.cancelJob({ requestId: id, reason }, call);
    return { id, ok: true, job: toJobView(job!) };
  } catch (error) {
    return { id, ok: false, error: toErrorBody(error).body };
  }
}

/**
 * Actions, each allowed or refused by the orchestrator for the caller's token (the console adds
 * no permission of its own): POST /api/jobs/:id/cancel, POST /api/jobs/cancel `{ids, reason}`
 * (one result per job), POST /api/jobs/:id/retry (a new job with the same spec).
 */
export function jobActionRoutes(api: PublicApi): Route[] {
  return [
    {
      method: 'POST', path: '/api/jobs/cancel', async handler({ request, call }) {
        const body = await readJsonBody(request);
        const ids = (body as { ids?: unknown }).ids;
        if (!Array.isArray(ids) || !ids.length || ids.length > maxBulk || !ids.every((id) => typeof id === 'string')) {
          throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', `ids: 1 to ${maxBulk} job ids`, 'ids');
        }
        const queue = [...new Set(ids as string[])];
        const results: ActionResult[] = [];
        await Promise.all(Array.from({ length: bulkConcurrency }, async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) results.push(await cancelOne(api, id, cancelReasonOf(body), call));
        }));
        return { results: results.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)) };
      },
    },
    {
      method: 'POST', path: '/api/jobs/:id/cancel', async handler({ request, params, call }) {
        const body = await readJsonBody(request);
        const { job } = await api.jobs.cancelJob({ requestId: params.id!, reason: cancelReasonOf(body) }, call);
        return { id: params.id!, ok: true, job: toJobView(job!) } satisfies ActionResult;
      },
    },
    {
      method: 'POST', path: '/api/jobs/:id/retry', async handler({ request, params, call }) {
        await readJsonBody(request);
        const { job } = await api.jobs.getJob({ requestId: params.id! }, call);
        const submitted = await api.jobs.submitJob(resubmissionOf(job!), call);
        return { id: submitted.job!.requestId, ok: true, job: toJobView(submitted.job!) } satisfies ActionResult;
      },
    },
  ];
}
