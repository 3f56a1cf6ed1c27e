import type { Logger } from '@jobmesh/logger';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A checkout's temporary directory in the workspace root: `.<key>.<12 hex>.fsops-tmp`. */
const tempCheckout = /^\..+\.[0-9a-f]{12}\.fsops-tmp$/;
/** A mirror clone's temporary directory: `<32 hex>.git.<12 hex>.tmp`. */
const tempMirror = /^[0-9a-f]{32}\.git\.[0-9a-f]{12}\.tmp$/;

/** What a sweep removed. */
export interface SweepResult {
  checkouts: string[];
  mirrors: string[];
}

async function removeMatching(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const removed: string[] = [];
  for (const name of names.filter((n) => pattern.test(n))) {
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Removes the temporary checkouts and mirror clones a killed fsops left half made. Runs at
 * start-up, before the server takes calls: no checkout of this process exists yet, and the
 * roots belong to one fsops process at a time, so every such directory is stale (its job's
 * checkout is retried under a fresh temporary name, or cleaned up by the job's workflow).
 * Workspaces under their final name are complete and are left to their job's clean-up.
 */
export async function sweepStaleCheckouts(workspaceRoot: string, mirrorsDir: string, logger: Logger): Promise<SweepResult> {
  const result = { checkouts: await removeMatching(workspaceRoot, tempCheckout), mirrors: await removeMatching(mirrorsDir, tempMirror) };
  if (result.checkouts.length || result.mirrors.length) logger.info('removed stale temporary checkouts', { ...result });
  return result;
}
