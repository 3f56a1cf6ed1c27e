import type { ListRequest, ListResponse, RemoveRequest, RemoveResponse, StatRequest, StatResponse } from '@jobmesh/contracts/jobmesh/fsops/v1/fsops.ts';
import { failedPrecondition, notFound } from '@jobmesh/grpc-kit';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Roots } from '../paths/create-roots.ts';
import { mapFsError } from '../paths/map-fs-error.ts';
import { deniedPath } from '../paths/path-errors.ts';
import { resolvePath } from '../paths/resolve-path.ts';
import { isTempName } from '../transfers/temp-names.ts';
import { toEntry } from './to-entry.ts';

/** Most entries one List returns (keeps the answer far below the 16 MiB message limit). */
export const maxListEntries = 50_000;

/** The Stat, List and Remove handlers: inspection and clean-up inside the roots. */
export function createEntryHandlers(roots: Roots) {
  return {
    async stat(request: StatRequest): Promise<StatResponse> {
      const resolved = await resolvePath(roots, 'path', request.path);
      if (!resolved.exists) throw notFound('PATH_NOT_FOUND', `${request.path} does not exist`);
      return { entry: toEntry(resolved.path, await lstat(resolved.path).catch((e: unknown) => { throw mapFsError(e, 'path'); })) };
    },

    async list(request: ListRequest): Promise<ListResponse> {
      const resolved = await resolvePath(roots, 'path', request.path);
      if (!resolved.exists) throw notFound('PATH_NOT_FOUND', `${request.path} does not exist`);
      if (!(await lstat(resolved.real)).isDirectory()) throw failedPrecondition('NOT_A_DIRECTORY', `${request.path} is not a directory`);
      const names = (await readdir(resolved.real)).filter((n) => !isTempName(n) && !(resolved.real === roots.staging && n === '.fsops'));
      names.sort();
      if (names.length > maxListEntries) throw failedPrecondition('TOO_MANY_ENTRIES', `${request.path} holds more than ${maxListEntries} entries`);
      const entries = [];
      for (const name of names) {
        const stats = await lstat(join(resolved.real, name)).catch(() => undefined);
        if (stats) entries.push(toEntry(name, stats));
      }
      return { entries };
    },

    async remove(request: RemoveRequest): Promise<RemoveResponse> {
      const resolved = await resolvePath(roots, 'path', request.path);
      if (resolved.path === resolved.root) throw deniedPath('path', 'ROOT_NOT_REMOVABLE', 'is a root');
      if (!resolved.exists) return { removed: false };
      // rm does not follow symlinks: a link inside the tree goes, its target stays.
      await rm(resolved.path, { recursive: true, force: true }).catch((e: unknown) => { throw mapFsError(e, 'path'); });
      return { removed: true };
    },
  };
}
