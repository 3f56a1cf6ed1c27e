import { isMeshError, status, type Metadata } from '@jobmesh/grpc-kit';
import type { SubmitJobRequest } from '@jobmesh/contracts/jobmesh/orchestrator/v1/jobs.ts';
import type { SessionView } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';

/** An empty SubmitJob: refused as INVALID_ARGUMENT by a handler that was let in, so it creates nothing. */
const emptySubmission: SubmitJobRequest = { repoUrl: '', commitSha: '', runsOn: '', script: '', env: {}, secretEnv: {}, timeoutMs: 0, artifactPatterns: [], artifactWhen: 0, requestId: '' };

/**
 * True when the orchestrator let the call through to its handler: the handler's own refusal of
 * the empty request (INVALID_ARGUMENT) proves it; PERMISSION_DENIED says the role is too low.
 * @throws MeshError for any other answer (UNAUTHENTICATED, UNAVAILABLE, ...)
 */
async function letThrough(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if (isMeshError(error, status.INVALID_ARGUMENT)) return true;
    if (isMeshError(error, status.PERMISSION_DENIED)) return false;
    throw error;
  }
}

/**
 * What the caller may do, proven by the orchestrator's own answers and never guessed from the
 * token's text (the public API has no "who am I" call). Nothing is changed by the probes:
 * - open API: ListJobs without any token succeeds;
 * - admin: CancelJob of an empty id reaches the handler, which refuses it (INVALID_ARGUMENT);
 * - submit: SubmitJob of an empty request reaches the handler, which refuses it;
 * - read: ListJobs with the token succeeds.
 * The orchestrator checks the token before the handler validates anything (its token-roles
 * test holds it to that), so INVALID_ARGUMENT means "allowed" and PERMISSION_DENIED "not".
 * @throws MeshError when the API cannot be reached
 */
export async function probeSession(api: PublicApi, metadata: Metadata | undefined): Promise<SessionView> {
  const session: SessionView = { open: false, role: null, tokenProblem: '', orchestrator: api.address };
  const list = (m?: Metadata) => api.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 1, pageToken: '' }, { metadata: m });
  try {
    await list();
    return { ...session, open: true, role: 'admin' };
  } catch (error) {
    if (!isMeshError(error, status.UNAUTHENTICATED)) throw error;
  }
  if (!metadata) return session;
  try {
    if (await letThrough(api.jobs.cancelJob({ requestId: '', reason: '' }, { metadata }))) return { ...session, role: 'admin' };
    if (await letThrough(api.jobs.submitJob(emptySubmission, { metadata }))) return { ...session, role: 'submit' };
    await list(metadata);
    return { ...session, role: 'read' };
  } catch (error) {
    if (isMeshError(error, status.UNAUTHENTICATED) || isMeshError(error, status.PERMISSION_DENIED)) return { ...session, tokenProblem: error.message };
    throw error;
  }
}
