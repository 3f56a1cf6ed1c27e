import { listingRoots, planCollection } from '@jobmesh/artifacts';
import { failedPrecondition } from '@jobmesh/grpc-kit';
import type { OutputRequest, StagedOutputs } from '../backend.ts';
import type { GuestAgent } from '../../qemu/guest-agent.ts';
import { stagePlannedFiles } from '../../outputs/stage-planned-files.ts';
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
  return stagePlannedFiles(plan, request, async (file, write) => {
    const sent = await agent.fetchFile(file.path, (data) => void write(data), idleMs);
    return { sizeBytes: sent.sizeBytes, sha256: sent.sha256 };
  });
}
