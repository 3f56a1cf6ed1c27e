import type { ArtifactsPage } from '../../shared/api-types.ts';
import type { PublicApi } from '../api/create-public-api.ts';
import type { Route } from '../http/create-router.ts';

/** GET /api/jobs/:id/artifacts (`cursor`): a page of the job's artifacts (ArtifactService.ListArtifacts). */
export function artifactRoutes(api: PublicApi): Route[] {
  return [{
    method: 'GET', path: '/api/jobs/:id/artifacts', async handler({ params, query, call }): Promise<ArtifactsPage> {
      const page = await api.artifacts.listArtifacts({ requestId: params.id!, pageSize: 200, pageToken: query.get('cursor') ?? '' }, call);
      return {
        collected: page.collected, artifacts: page.artifacts.map((a) => ({ path: a.path, sizeBytes: a.sizeBytes, sha256: a.sha256, mode: a.mode })),
        nextCursor: page.nextPageToken, totalCount: page.totalCount, totalBytes: page.totalBytes, manifestSha256: page.manifestSha256, unmatchedPatterns: page.unmatchedPatterns,
      };
    },
  }];
}
