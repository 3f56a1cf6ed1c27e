import type { PruneArtifactsRequest, PruneArtifactsResponse, PruneMirrorsRequest, PruneMirrorsResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { invalidArgument } from '@jobmesh/grpc-kit';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Roots } from '../paths/create-roots.ts';
import type { KeyLock } from '../transfers/create-key-lock.ts';
import { mirrorPathPattern } from '../workspaces/ensure-mirror.ts';
import { treeBytes } from './tree-bytes.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A cutoff may lie this far ahead of fsops' clock (clock skew between hosts). */
const clockSkewMs = 60_000;

/** What retention in fsops works on. */
export interface PruneDeps {
  roots: Roots;
  mirrorsDir: string;
  /** The lock ensureMirror holds while a checkout uses a mirror. */
  lock: KeyLock;
}

/**
 * FsopsService's PruneArtifacts and PruneMirrors: artifact folders of jobs whose manifests
 * retention pruned, and git mirrors unused since a cutoff (ensureMirror touches a mirror on
 * every use, so its mtime is its last use).
 */
export function createPruneHandlers({ roots, mirrorsDir, lock }: PruneDeps) {
  return {
    async pruneArtifacts(request: PruneArtifactsRequest): Promise<PruneArtifactsResponse> {
      if (request.jobRequestIds.length > 10_000) throw invalidArgument('job_request_ids', 'must hold at most 10000 ids');
      request.jobRequestIds.forEach((id, i) => {
        if (!uuid.test(id)) throw invalidArgument(`job_request_ids[${i}]`, 'must be a lower-case UUID');
      });
      let folders = 0;
      let bytes = 0;
      for (const id of new Set(request.jobRequestIds)) {
        const folder = join(roots.artifacts, id);
        const size = await treeBytes(folder);
        if (size === null) continue;
        folders++;
        bytes += size;
        if (!request.dryRun) await rm(folder, { recursive: true, force: true });
      }
      return { folders, bytes };
    },

    async pruneMirrors(request: PruneMirrorsRequest): Promise<PruneMirrorsResponse> {
      const cutoff = request.olderThan;
      if (!cutoff) throw invalidArgument('older_than', 'is required');
      if (Number.isNaN(cutoff.getTime()) || cutoff.getTime() > Date.now() + clockSkewMs) throw invalidArgument('older_than', 'must not lie in the future');
      let mirrors = 0;
      let bytes = 0;
      const names = await readdir(mirrorsDir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
      for (const name of names.filter((n) => mirrorPathPattern.test(n))) {
        const path = join(mirrorsDir, name);
        // Under the mirror's lock: a checkout using it right now finishes first and touches it.
        await lock.run(`mirror:${path}`, async () => {
          const info = await stat(path).catch(() => null);
          if (!info || info.mtime >= cutoff) return;
          mirrors++;
          bytes += (await treeBytes(path)) ?? 0;
          if (!request.dryRun) await rm(path, { recursive: true, force: true });
        });
      }
      return { mirrors, bytes };
    },
  };
}
