import type { CollectionPlan, PlannedFile } from '@jobmesh/artifacts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import type { OutputRequest, StagedOutput, StagedOutputs } from '../backends/backend.ts';
import { openStagedFile } from './open-staged-file.ts';

/** What a source said of a file it sent, to check the staged bytes against. */
export type SentFile = { sizeBytes: number; sha256: string };

/**
 * Stages every file of a plan into `request.destination`, one at a time, each under a temporary
 * name until its bytes are complete (and match what the source said, when it said). `copy`
 * feeds a file's bytes to `write`, which answers false once the byte cap is passed (a file that
 * grew since it was listed): the source may stop, and the collection fails with
 * ARTIFACT_LIMIT_EXCEEDED. The same loop for every backend; only where bytes come from differs.
 */
export async function stagePlannedFiles(plan: CollectionPlan, request: OutputRequest,
  copy: (file: PlannedFile, write: (data: Buffer) => boolean) => Promise<SentFile | undefined>): Promise<StagedOutputs> {
  const files: StagedOutput[] = [];
  let bytes = 0;
  for (const file of plan.files) {
    const staged = await openStagedFile(request.destination, file.path, file.mode);
    try {
      let over = false;
      const sent = await copy(file, (data) => {
        if (over) return false;
        staged.write(data);
        over = bytes + staged.size > request.maxBytes;
        return !over;
      });
      if (over) {
        throw failedPrecondition('ARTIFACT_LIMIT_EXCEEDED', `artifact ${file.path} grew while it was collected; the artifacts now pass the limit of ${request.maxBytes} bytes (JOBMESH_ARTIFACT_MAX_BYTES)`);
      }
      const done = await staged.commit(sent);
      bytes += done.sizeBytes;
      files.push(done);
    } catch (error) {
      await staged.abort();
      throw error;
    }
  }
  return { files, unmatched: plan.unmatched };
}
