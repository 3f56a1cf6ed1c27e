import { failedPrecondition, isMeshError } from '@jobmesh/grpc-kit';
import { TransferMode } from '@jobmesh/contracts/jobmesh/types/v1/states.ts';
import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { reflinkFileAtomic } from './link-file-atomic.ts';
import type { TransferPlan } from './plan-transfer.ts';

/** Device of the deepest existing directory at or above `path`. */
export async function deviceOf(path: string): Promise<number> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return (await stat(current)).dev;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || current === '/') throw error;
    }
  }
}

/**
 * Decides the mode a transfer really uses, before anything is written. AUTO
 * is the cheapest that works: reflink (probed by cloning the first file to a
 * temporary name), then hardlink on one filesystem, then copy.
 * @throws MeshError FAILED_PRECONDITION (CROSS_DEVICE) for HARDLINK across filesystems,
 *   (REFLINK_UNSUPPORTED) for REFLINK where cloning fails
 */
export async function chooseMode(requested: TransferMode, plan: TransferPlan, tag: string): Promise<TransferMode> {
  const sameDevice = (await stat(plan.source)).dev === (await deviceOf(plan.destination));
  switch (requested) {
    case TransferMode.TRANSFER_MODE_HARDLINK:
      if (!sameDevice) throw failedPrecondition('CROSS_DEVICE', 'hardlink: source and destination are on different filesystems');
      return requested;
    case TransferMode.TRANSFER_MODE_REFLINK:
      await probeReflink(plan, tag);
      return requested;
    case TransferMode.TRANSFER_MODE_AUTO:
      try {
        await probeReflink(plan, tag);
        return TransferMode.TRANSFER_MODE_REFLINK;
      } catch (error) {
        if (!isMeshError(error, undefined, 'REFLINK_UNSUPPORTED')) throw error;
      }
      return sameDevice ? TransferMode.TRANSFER_MODE_HARDLINK : TransferMode.TRANSFER_MODE_COPY;
    default:
      return requested;
  }
}

/** Clones the first planned file next to the destination and removes the clone again. */
async function probeReflink(plan: TransferPlan, tag: string): Promise<void> {
  const first = plan.files[0];
  if (!first) return;
  let directory = dirname(plan.destination);
  while ((await stat(directory).catch(() => undefined)) === undefined) directory = dirname(directory);
  const probe = join(directory, `.${tag}.probe.fsops-tmp`);
  try {
    await reflinkFileAtomic(first.source, probe, `${tag}.probe`);
  } finally {
    await rm(probe, { force: true });
  }
}
