import type { ArtifactServiceService } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import type { Artifact } from '@jobmesh/contracts/jobmesh/orchestrator/v1/artifacts.ts';
import type { createClient } from '@jobmesh/grpc-kit';

/** Reads one artifact through the public DownloadArtifact stream: its description and its bytes from `offset`. */
export async function downloadArtifact(api: ReturnType<typeof createClient<typeof ArtifactServiceService>>, requestId: string, path: string, offset = 0): Promise<{ artifact: Artifact; data: Buffer }> {
  let artifact: Artifact | undefined;
  const parts: Buffer[] = [];
  for await (const message of api.downloadArtifact({ requestId, path, offset })) {
    if (message.artifact) artifact = message.artifact;
    if (message.data) parts.push(Buffer.from(message.data));
  }
  if (!artifact) throw new Error(`no artifact description for ${path}`);
  return { artifact, data: Buffer.concat(parts) };
}
