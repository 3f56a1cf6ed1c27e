import { ArtifactServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import { defineService, invalidArgument, isMeshError, MeshError, notFound, status } from '@jobmesh/grpc-kit';
import { join } from 'node:path';
import type { MeshClients } from '../clients/create-mesh-clients.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const requireId = (value: string) => {
  if (!uuid.test(value)) throw invalidArgument('request_id', value ? 'must be a UUID' : 'is required');
  return value.toLowerCase();
};

/**
 * jobmesh.orchestrator.v1.ArtifactService: a job's artifacts from the manifest persistence keeps,
 * their bytes from the artifact store through fsops. A download names only a path of the
 * manifest, so no caller reaches any other file of fsops' roots.
 */
export function createArtifactService(clients: MeshClients) {
  return defineService('jobmesh.orchestrator.v1.ArtifactService', ArtifactServiceService, {
    async listArtifacts(request) {
      const jobRequestId = requireId(request.requestId);
      if (request.pageSize < 0 || request.pageSize > 1000) throw invalidArgument('page_size', 'must be 0 (the default, 100) to 1000');
      const page = await clients.artifacts.listArtifacts({ jobRequestId, pageSize: request.pageSize, pageToken: request.pageToken });
      const set = page.set;
      return {
        collected: page.recorded,
        artifacts: page.files.map((f) => ({ path: f.path, sizeBytes: f.sizeBytes, sha256: f.sha256, mode: f.mode })),
        nextPageToken: page.nextPageToken,
        manifestSha256: set?.manifestSha256 ?? '',
        totalCount: set?.fileCount ?? 0,
        totalBytes: set?.bytesTotal ?? 0,
        unmatchedPatterns: set?.unmatchedPatterns ?? [],
      };
    },

    async *downloadArtifact(request, call) {
      const jobRequestId = requireId(request.requestId);
      if (!request.path) throw invalidArgument('path', 'is required');
      if (!Number.isSafeInteger(request.offset) || request.offset < 0) throw invalidArgument('offset', 'must be 0 or more');
      const { set, file } = await clients.artifacts.getArtifact({ jobRequestId, path: request.path });
      if (!set || !file) throw notFound('ARTIFACT_NOT_FOUND', `job ${jobRequestId} has no artifact ${request.path}`, { field: 'path' });
      if (request.offset > file.sizeBytes) {
        throw new MeshError(status.OUT_OF_RANGE, 'OFFSET_PAST_END', `offset: ${request.offset} is past the end of ${file.path} (${file.sizeBytes} bytes)`, { field: 'offset' });
      }
      yield { artifact: { path: file.path, sizeBytes: file.sizeBytes, sha256: file.sha256, mode: file.mode } };
      try {
        for await (const message of clients.fsops.readFile({ path: join(set.artifactDir, file.path), offset: request.offset }, { signal: call.signal })) {
          if (message.data) yield { data: Buffer.from(message.data) };
        }
      } catch (error) {
        // The manifest names the file but the store lost it: a lasting fault, said plainly.
        if (isMeshError(error, status.NOT_FOUND)) throw notFound('ARTIFACT_MISSING', `artifact ${file.path} of job ${jobRequestId} is recorded but missing from the artifact store`, { cause: error });
        throw error;
      }
    },
  });
}
