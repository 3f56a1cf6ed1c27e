import type { PipelineView } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import { cancelReasonOf } from '../http/cancel-reason.ts';
import type { Route } from '../http/create-router.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { HttpError } from '../http/to-error-body.ts';
import { toPipelineView } from '../views/to-pipeline-view.ts';

/** A string field of a JSON body ('' when absent). @throws HttpError 400 naming the field when it is not a string */
function stringField(body: unknown, name: string): string {
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', `${name}: must be a string`, name);
  return value.trim();
}

/**
 * Pipeline actions, each allowed or refused by the orchestrator for the caller's token (submit:
 * SubmitPipeline and RetryPipeline; admin: CancelPipeline and ApproveStep; the console adds no
 * permission of its own): POST /api/pipelines `{repoUrl, commitSha, manifestPath?, requestId?}`,
 * POST /api/pipelines/:id/cancel `{reason?}`, POST /api/pipelines/:id/retry `{failedOnly}`,
 * POST /api/pipelines/:id/approve `{jobKey, step}` (step: a block step's name or index).
 * Each answers the pipeline as the API returned it; approve answers `{approvedNow}`.
 */
export function pipelineActionRoutes(api: PublicApi): Route[] {
  return [
    {
      method: 'POST', path: '/api/pipelines', async handler({ request, call }): Promise<PipelineView> {
        const body = await readJsonBody(request);
        const { pipeline } = await api.pipelines.submitPipeline({
          repoUrl: stringField(body, 'repoUrl'), commitSha: stringField(body, 'commitSha'), manifestPath: stringField(body, 'manifestPath'),
          env: {}, secretEnv: {}, requestId: stringField(body, 'requestId'),
        }, call);
        return toPipelineView(pipeline!);
      },
    },
    {
      method: 'POST', path: '/api/pipelines/:id/cancel', async handler({ request, params, call }): Promise<PipelineView> {
        const body = await readJsonBody(request);
        return toPipelineView((await api.pipelines.cancelPipeline({ id: params.id!, reason: cancelReasonOf(body) }, call)).pipeline!);
      },
    },
    {
      method: 'POST', path: '/api/pipelines/:id/retry', async handler({ request, params, call }): Promise<PipelineView> {
        const { failedOnly } = (await readJsonBody(request)) as { failedOnly?: unknown };
        if (typeof failedOnly !== 'boolean') throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'failedOnly: must be true or false', 'failedOnly');
        return toPipelineView((await api.pipelines.retryPipeline({ id: params.id!, failedOnly }, call)).pipeline!);
      },
    },
    {
      method: 'POST', path: '/api/pipelines/:id/approve', async handler({ request, params, call }) {
        const body = await readJsonBody(request);
        const { approvedNow } = await api.pipelines.approveStep({ pipelineId: params.id!, jobKey: stringField(body, 'jobKey'), step: stringField(body, 'step') }, call);
        return { approvedNow };
      },
    },
  ];
}
