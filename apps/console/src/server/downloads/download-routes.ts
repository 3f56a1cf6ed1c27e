import type { ServerResponse } from 'node:http';
import type { CallOptions } from '@jobmesh/grpc-kit';
import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { HttpError } from '../http/to-error-body.ts';
import type { DownloadTarget, TicketStore } from './create-ticket-store.ts';

/** Writes `data`, waiting for the socket when its buffer is full (a slow download holds the read back). */
async function write(response: ServerResponse, data: Uint8Array): Promise<void> {
  if (response.write(data)) return;
  await new Promise<void>((resolve) => {
    const done = () => (response.off('drain', done), response.off('close', done), resolve());
    response.once('drain', done);
    response.once('close', done);
  });
}

const attachment = (name: string) => `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`;

/** Streams a job's whole log, every stream in order, as raw bytes. */
async function sendLog(api: PublicApi, jobId: string, response: ServerResponse, call: CallOptions) {
  const messages = api.jobs.streamJobLogs({ requestId: jobId, fromOffset: 0, follow: false }, call)[Symbol.asyncIterator]();
  const first = await messages.next(); // errors (404, 403) before the headers go out
  response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': attachment(`${jobId}.log`), 'cache-control': 'no-store' });
  for (let item = first; !item.done && !response.destroyed; item = await messages.next()) await write(response, item.value.data);
  await messages.return?.();
  response.end();
}

/** Streams one artifact, its size announced first. */
async function sendArtifact(api: PublicApi, jobId: string, path: string, response: ServerResponse, call: CallOptions) {
  const messages = api.artifacts.downloadArtifact({ requestId: jobId, path, offset: 0 }, call)[Symbol.asyncIterator]();
  const first = await messages.next();
  const artifact = first.done ? undefined : first.value.artifact;
  response.writeHead(200, {
    'content-type': 'application/octet-stream', 'content-disposition': attachment(path.split('/').pop() || 'artifact'), 'cache-control': 'no-store',
    ...(artifact && { 'content-length': String(artifact.sizeBytes), 'x-sha256': artifact.sha256 }),
  });
  for (let item = await messages.next(); !item.done && !response.destroyed; item = await messages.next()) if (item.value.data) await write(response, item.value.data);
  await messages.return?.();
  response.end();
}

function targetOf(body: unknown): DownloadTarget {
  const { kind, jobId, path } = body as { kind?: unknown; jobId?: unknown; path?: unknown };
  if (typeof jobId !== 'string' || !jobId) throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'jobId: is required', 'jobId');
  if (kind === 'log') return { kind, jobId };
  if (kind === 'artifact' && typeof path === 'string' && path) return { kind, jobId, path };
  throw new HttpError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'kind: "log", or "artifact" with a path', 'kind');
}

/**
 * Downloads: POST /api/downloads `{kind: "log"|"artifact", jobId, path?}` checks that the token
 * may read the job and answers `{url}`; GET /api/downloads/:ticket streams the raw log or the
 * artifact through the public API (StreamJobLogs, DownloadArtifact), never holding it whole.
 */
export function downloadRoutes(api: PublicApi, tickets: TicketStore): Route[] {
  return [
    {
      method: 'POST', path: '/api/downloads', async handler({ request, call }) {
        const target = targetOf(await readJsonBody(request));
        await api.jobs.getJob({ requestId: target.jobId }, call);
        return { url: `/api/downloads/${tickets.issue(target, call.metadata)}` };
      },
    },
    {
      method: 'GET', path: '/api/downloads/:ticket', async handler({ params, response, call }) {
        const ticket = tickets.redeem(params.ticket!);
        if (!ticket) throw new HttpError(404, 'NOT_FOUND', 'TICKET_UNKNOWN', 'this download link expired (links last a minute): download again from the console');
        const options = { ...call, metadata: ticket.metadata };
        if (ticket.target.kind === 'log') await sendLog(api, ticket.target.jobId, response, options);
        else await sendArtifact(api, ticket.target.jobId, ticket.target.path, response, options);
      },
    },
  ];
}
