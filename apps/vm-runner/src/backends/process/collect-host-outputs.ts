import { listingRoots, planCollection } from '@jobmesh/artifacts';
import { createReadStream } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutputRequest, StagedOutputs } from '../backend.ts';
import { listHostWorkspace } from '../../outputs/list-host-workspace.ts';
import { stagePlannedFiles } from '../../outputs/stage-planned-files.ts';

/**
 * The process backend's CollectOutputs: lists the VM's workspace copy (where its job ran),
 * plans with the shared rules, and copies each selected file into the staging folder. A file
 * that grew past the byte cap since it was listed stops the collection with the same error.
 */
export async function collectHostOutputs(workspace: string, request: OutputRequest): Promise<StagedOutputs> {
  const root = await realpath(workspace);
  const plan = planCollection(await listHostWorkspace(root, listingRoots(request.patterns)), request.patterns, { root, maxFiles: request.maxFiles, maxBytes: request.maxBytes });
  return stagePlannedFiles(plan, request, async (file, write) => {
    for await (const chunk of createReadStream(join(root, file.path))) {
      if (!write(chunk as Buffer)) break;
    }
    return undefined;
  });
}
