import { listingRoots, planCollection } from '@jobmesh/artifacts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputRequest, StagedOutput, StagedOutputs } from '../backend.ts';
import { listHostWorkspace } from '../../outputs/list-host-workspace.ts';
import { openStagedFile } from '../../outputs/open-staged-file.ts';

/**
 * The process backend's CollectOutputs: lists the VM's workspace copy (where its job ran),
 * plans with the shared rules, and copies each selected file into the staging folder. A file
 * that grew past the byte cap since it was listed stops the collection with the same error.
 */
export async function collectHostOutputs(workspace: string, request: OutputRequest): Promise<StagedOutputs> {
  const root = await realpath(workspace);
  const plan = planCollection(await listHostWorkspace(root, listingRoots(request.patterns)), request.patterns, { root, maxFiles: request.maxFiles, maxBytes: request.maxBytes });
  const files: StagedOutput[] = [];
  let bytes = 0;
  for (const file of plan.files) {
    const staged = await openStagedFile(request.destination, file.path, file.mode);
    try {
      for await (const chunk of createReadStream(join(root, file.path))) {
        staged.write(chunk as Buffer);
        if (bytes + staged.size > request.maxBytes) {
          throw failedPrecondition('ARTIFACT_LIMIT_EXCEEDED', `artifact ${file.path} grew while it was collected; the artifacts now pass the limit of ${request.maxBytes} bytes (JOBMESH_ARTIFACT_MAX_BYTES)`);
        }
      }
      const done = await staged.commit();
      bytes += done.sizeBytes;
      files.push(done);
    } catch (error) {
      await staged.abort();
      throw error;
    }
  }
  return { files, unmatched: plan.unmatched };
}
