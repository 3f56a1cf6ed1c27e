import { isMeshError, status } from '@jobmesh/grpc-kit';
import type { PublicApi } from '../api/create-public-api.ts';

/**
 * The console adds no authentication of its own: on an address other machines reach, it would
 * hand an open API (no JOBMESH_TOKENS_FILE on the orchestrator) to all of them, through its own
 * client certificate too. So it starts there only when the API asks for tokens.
 * @throws Error naming the fix when the API answers without a token; MeshError when it cannot be reached
 */
export async function refuseOpenApiOffLoopback(api: PublicApi, address: string): Promise<void> {
  try {
    await api.jobs.listJobs({ states: [], runsOn: '', repoUrl: '', pageSize: 1, pageToken: '' });
  } catch (error) {
    if (isMeshError(error, status.UNAUTHENTICATED)) return;
    throw error;
  }
  throw new Error(`JOBMESH_CONSOLE_ADDR ${address} is reachable from other machines, and the public API at ${api.address} answers without a token: ` +
    'set JOBMESH_TOKENS_FILE on the orchestrator, or listen on 127.0.0.1');
}
