import { listingRoots, planCollection } from '@jobmesh/artifacts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import type { OutputRequest, StagedOutput, StagedOutputs } from '../backend.ts';
import type { GuestAgent } from '../../qemu/guest-agent.ts';
import { openStagedFile } from '../../outputs/open-staged-file.ts';
import { parseGuestListing } from './parse-guest-listing.ts';

/** Longest the guest may take to list, and to stay silent while a file comes, in ms. */
const listTimeoutMs = 120_000;
const idleMs = 60_000;

/**
 * The qemu backend's CollectOutputs, entirely over the guest agent's channel (no reading of the
 * guest's disk): LIST where the patterns may match, plan with the shared rules, then GET each
 * selected file into the staging folder, its size and SHA-256 checked against what the guest says.
 */
export async function collectGuestOutputs(agent: GuestAgent, request: OutputRequest, onDropped: (lines: string[]) => void): Promise<StagedOutputs> {
  const listing = await agent.listFiles(listingRoots(request.patterns), listTimeoutMs);
  if (!listing.workDir) throw failedPrecondition('GUEST_NO_WORKSPACE', 'the guest has no job working directory to collect outputs from');
  const { entries, dropped } = parseGuestListing(listing.lines);
  if (dropped.length > 0) onDropped(dropped);
  const plan = planCollection(entries, request.patterns, { root: listing.workDir, maxFiles: request.maxFiles, maxBytes: request.maxBytes });
  const files: StagedOutput[] = [];
  let bytes = 0;
  for (const file of plan.files) {
    const staged = await openStagedFile(request.destination, file.path, file.mode);
    try {
      let over = false;
      const sent = await agent.fetchFile(file.path, (data) => {
        if (over) return;
        staged.write(data);
        over = bytes + staged.size > request.maxBytes;
      }, idleMs);
      if (over) {
        throw failedPrecondition('ARTIFACT_LIMIT_EXCEEDED', `artifact ${file.path} grew while it was collected; the artifacts now pass the limit of ${request.maxBytes} bytes (JOBMESH_ARTIFACT_MAX_BYTES)`);
      }
      const done = await staged.commit({ sizeBytes: sent.sizeBytes, sha256: sent.sha256 });
      bytes += done.sizeBytes;
      files.push(done);
    } catch (error) {
      await staged.abort();
      throw error;
    }
  }
  return { files, unmatched: plan.unmatched };
}
