import type { ActionResult, ApiErrorBody, ArtifactsPage, JobsPage, JobView, LogPage, OperationView, PipelinesPage, PipelineView, SessionView, VmsPage } from '../../shared/api-types.ts';
import { queryOf, type ListFilter } from './list-filter.ts';
import { createEventStreamParser } from './parse-event-stream.ts';

/** An error answer of the console's API: the public API's status name and reason. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: ApiErrorBody;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** The jobs table's filters. */
export type JobFilter = ListFilter<'label' | 'repo'>;

/** The pipelines table's filters. */
export type PipelineFilter = ListFilter<'repo'>;

/**
 * The console's HTTP API as the front end calls it. The token (from `getToken`) goes as an
 * `Authorization: Bearer` header on every request, event streams included (read with fetch, as
 * EventSource cannot send headers); no cookie is ever used.
 */
export function createConsoleApi(getToken: () => string, base = '') {
  const headers = (json = false): Record<string, string> => ({
    ...(getToken() && { authorization: `Bearer ${getToken()}` }),
    ...(json && { 'content-type': 'application/json' }),
  });
  const request = async <T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal } = {}): Promise<T> => {
    const response = await fetch(base + path, {
      method: init.method ?? 'GET', headers: headers(init.body !== undefined), signal: init.signal,
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const body = await response.json().catch(() => ({ code: 'UNKNOWN', reason: 'BAD_ANSWER', message: `HTTP ${response.status}` }));
    if (!response.ok) throw new ApiError(response.status, body as ApiErrorBody);
    return body as T;
  };
  /** Reads an event stream until it ends or `signal` aborts, calling `onEvent` for each event. */
  const stream = async (path: string, onEvent: (event: string, value: unknown) => void, signal: AbortSignal): Promise<void> => {
    const response = await fetch(base + path, { headers: { ...headers(), accept: 'text/event-stream' }, signal });
    if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => ({ code: 'UNKNOWN', reason: 'BAD_ANSWER', message: `HTTP ${response.status}` }))) as ApiErrorBody);
    const parse = createEventStreamParser();
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const item of parse(decoder.decode(value, { stream: true }))) onEvent(item.event, JSON.parse(item.data));
    }
  };
  /** Follows a stream whose `name` events carry a T and whose `error` events say the console cannot read it for now. */
  const live = <T>(path: string, name: string, onValue: (value: T) => void, onError: (error: ApiErrorBody) => void, signal: AbortSignal) =>
    stream(path, (event, value) => (event === name ? onValue(value as T) : event === 'error' && onError(value as ApiErrorBody)), signal);
  return {
    session: (signal?: AbortSignal) => request<SessionView>('/api/session', { signal }),
    jobs: (filter: JobFilter, signal?: AbortSignal) => request<JobsPage>(`/api/jobs?${queryOf(filter)}`, { signal }),
    liveJobs: (filter: JobFilter, onPage: (page: JobsPage) => void, onError: (error: ApiErrorBody) => void, signal: AbortSignal) =>
      live(`/api/jobs/live?${queryOf(filter)}`, 'page', onPage, onError, signal),
    job: (id: string, signal?: AbortSignal) => request<JobView>(`/api/jobs/${encodeURIComponent(id)}`, { signal }),
    liveJob: (id: string, onJob: (job: JobView) => void, signal: AbortSignal) =>
      stream(`/api/jobs/${encodeURIComponent(id)}/live`, (event, value) => event === 'job' && onJob(value as JobView), signal),
    /** A page of the log (of one step when `step` is given) ending before `before`; undefined: the tail. */
    logPage: (id: string, before: number | undefined, signal?: AbortSignal, step?: number) =>
      request<LogPage>(`/api/jobs/${encodeURIComponent(id)}/log?${new URLSearchParams({ ...(before !== undefined && { before: String(before) }), ...(step !== undefined && { step: String(step) }) })}`, { signal }),
    followLog: (id: string, from: number, onEvent: (event: string, value: unknown) => void, signal: AbortSignal, step?: number) =>
      stream(`/api/jobs/${encodeURIComponent(id)}/log/live?from=${from}${step === undefined ? '' : `&step=${step}`}`, onEvent, signal),
    cancel: (id: string) => request<ActionResult>(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} }),
    cancelMany: (ids: string[]) => request<{ results: ActionResult[] }>('/api/jobs/cancel', { method: 'POST', body: { ids } }),
    retry: (id: string) => request<ActionResult>(`/api/jobs/${encodeURIComponent(id)}/retry`, { method: 'POST', body: {} }),
    operation: (id: string, signal?: AbortSignal) => request<OperationView>(`/api/operations/${encodeURIComponent(id)}`, { signal }),
    vms: (cursor: string, signal?: AbortSignal) => request<VmsPage>(`/api/vms${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { signal }),
    artifacts: (id: string, cursor: string, signal?: AbortSignal) => request<ArtifactsPage>(`/api/jobs/${encodeURIComponent(id)}/artifacts${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`, { signal }),
    pipelines: (filter: PipelineFilter, signal?: AbortSignal) => request<PipelinesPage>(`/api/pipelines?${queryOf(filter)}`, { signal }),
    livePipelines: (filter: PipelineFilter, onPage: (page: PipelinesPage) => void, onError: (error: ApiErrorBody) => void, signal: AbortSignal) =>
      live(`/api/pipelines/live?${queryOf(filter)}`, 'page', onPage, onError, signal),
    livePipeline: (id: string, onPipeline: (pipeline: PipelineView) => void, onError: (error: ApiErrorBody) => void, signal: AbortSignal) =>
      live(`/api/pipelines/${encodeURIComponent(id)}/live`, 'pipeline', onPipeline, onError, signal),
    submitPipeline: (submission: { repoUrl: string; commitSha: string; manifestPath: string; requestId: string }) => request<PipelineView>('/api/pipelines', { method: 'POST', body: submission }),
    cancelPipeline: (id: string) => request<PipelineView>(`/api/pipelines/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} }),
    retryPipeline: (id: string, failedOnly: boolean) => request<PipelineView>(`/api/pipelines/${encodeURIComponent(id)}/retry`, { method: 'POST', body: { failedOnly } }),
    approveStep: (id: string, jobKey: string, step: string) => request<{ approvedNow: boolean }>(`/api/pipelines/${encodeURIComponent(id)}/approve`, { method: 'POST', body: { jobKey, step } }),
    downloadUrl: (target: { kind: 'log'; jobId: string } | { kind: 'artifact'; jobId: string; path: string }) => request<{ url: string }>('/api/downloads', { method: 'POST', body: target }),
  };
}

/** The console API, as pages take it. */
export type ConsoleApi = ReturnType<typeof createConsoleApi>;
