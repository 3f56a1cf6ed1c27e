import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDigest } from '@jobmesh/artifacts';
import type { PlannedFile } from './plan-transfer.ts';
import { syncDirectory } from './sync-directory.ts';

/** The request a key was first used with; a repeat must match it. */
export interface SidecarRequest {
  kind: number;
  source: string;
  destination: string;
  mode: number;
  overwrite: number;
  jobRequestId: string;
  /** Glob patterns of an artifact collection. */
  patterns?: string[];
  /** Set on an artifact collection of a staged folder (CollectArtifacts staged_path). */
  staged?: true;
  /** Set (only when true, so older sidecars still match) when the caller asked for no checksums. */
  skipChecksums?: true;
}

/** A planned file and what is known about it. */
export interface SidecarFile extends PlannedFile {
  /** Set once the file is written under its final name and its hash known. */
  sha256?: string;
  /** Set once the source of a moved file is gone (copy-verify-delete moves). */
  sourceRemoved?: boolean;
}

/** A file of a result: the manifest's digest plus the permission bits of the file written. */
export interface FileResultDigest extends FileDigest {
  /** st_mode & 0o7777 of the file written. */
  mode: number;
}

/** The result of a completed transfer, as returned again on repeats. */
export interface SidecarResult {
  files: FileResultDigest[];
  manifestSha256: string;
  modeUsed: number;
  bytesTotal: number;
  filesSkipped: number;
}

/** Everything fsops knows about one transfer key; one JSON file per key. */
export interface TransferSidecar {
  key: string;
  request: SidecarRequest;
  state: 'running' | 'completed' | 'failed';
  /** Attempt number, from 1; a failure increments it (as persistence does). */
  attempt: number;
  /** The mode chosen for this transfer (AUTO resolved); fixed once chosen so a resume does the same. */
  modeUsed?: number;
  /** True once a same-filesystem move renamed the whole source. */
  renamed?: boolean;
  isTree?: boolean;
  /** True when the files are a selection out of the source tree (artifacts): moves then remove only them. */
  selection?: boolean;
  directories?: string[];
  files?: SidecarFile[];
  result?: SidecarResult;
  lastError?: string;
}

/** Reads and writes transfer sidecars under one directory. */
export interface SidecarStore {
  read(key: string): Promise<TransferSidecar | undefined>;
  /** Writes atomically: temporary file, fsync, rename, fsync of the directory. */
  write(sidecar: TransferSidecar): Promise<void>;
}

/**
 * Creates the store of `<dir>/<sha256 of key>.json` files: hashing the key
 * keeps any allowed key (with `/` or `:`) a single short file name.
 */
export function createSidecarStore(dir: string): SidecarStore {
  const pathOf = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  return {
    async read(key) {
      try {
        return JSON.parse(await readFile(pathOf(key), 'utf8')) as TransferSidecar;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(sidecar) {
      await mkdir(dir, { recursive: true });
      const path = pathOf(sidecar.key);
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const file = await open(temp, 'wx', 0o644);
        try {
          await file.writeFile(JSON.stringify(sidecar));
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      await syncDirectory(path);
    },
  };
}
